"""Platform adapters: each translates between a platform and Vigie's neutral core."""
