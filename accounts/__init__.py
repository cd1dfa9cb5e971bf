"""Users, teams and memberships: who may see and do what."""
