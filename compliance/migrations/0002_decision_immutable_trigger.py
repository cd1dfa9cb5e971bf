"""On PostgreSQL, the database itself refuses UPDATE and DELETE on the audit trail, whatever code asks."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION compliance_decision_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'compliance decisions are an audit trail: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS compliance_decision_immutable ON compliance_decision;
CREATE TRIGGER compliance_decision_immutable BEFORE UPDATE OR DELETE ON compliance_decision
    FOR EACH ROW EXECUTE FUNCTION compliance_decision_immutable();
"""
DROP = """
DROP TRIGGER IF EXISTS compliance_decision_immutable ON compliance_decision;
DROP FUNCTION IF EXISTS compliance_decision_immutable();
"""


def _on_postgresql(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("compliance", "0001_initial")]

    operations = [migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP))]
