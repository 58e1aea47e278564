"""The project as it is packaged: what the lock files hold, and the pins the code relies on."""
