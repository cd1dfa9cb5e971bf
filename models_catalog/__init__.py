"""The model catalog: declarative, typed entries kept in code and synced to the database."""
