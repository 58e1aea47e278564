"""Use cases: what a client can do with tasks, expressed only through the domain and its port."""
