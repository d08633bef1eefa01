"""The PostgreSQL implementation of the core's storage port (``CASEWATCH_DATABASE_URL``); needs asyncpg."""
