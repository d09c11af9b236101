"""The only package that imports SQLAlchemy: schema, engine, migrations, queries."""
