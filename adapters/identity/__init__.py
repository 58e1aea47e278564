"""Who is calling: the bearer tokens (JWTs) a sign-in service such as Better Auth issues, verified
against its published keys or a shared secret. Both driving adapters use it at their edge; the use
cases never see a token, only the owner the edge lets through."""
