"""The structure's version token, and on PostgreSQL the triggers that move it (see OrgVersion)."""

from django.db import migrations, models

TABLES = ("org_region", "org_district", "org_policestation", "org_post")

FORWARD = """
CREATE SEQUENCE IF NOT EXISTS org_version_seq;
CREATE OR REPLACE FUNCTION rabta_org_changed() RETURNS trigger AS $$
BEGIN
    UPDATE org_orgversion SET token = nextval('org_version_seq') WHERE id = 1;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
""" + "".join(
    f"""
CREATE TRIGGER {table}_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION rabta_org_changed();
"""
    for table in TABLES
)

BACKWARD = "".join(f"DROP TRIGGER IF EXISTS {table}_changed ON {table};\n" for table in TABLES) + """
DROP FUNCTION IF EXISTS rabta_org_changed();
DROP SEQUENCE IF EXISTS org_version_seq;
"""


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("org", "OrgVersion").objects.create(id=1, token=0)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("org", "0001_initial")]

    operations = [
        migrations.CreateModel(
            name="OrgVersion",
            fields=[
                ("id", models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ("token", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(forward, backward),
    ]
