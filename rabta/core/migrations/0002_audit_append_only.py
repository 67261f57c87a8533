"""On PostgreSQL the audit table refuses UPDATE and DELETE outright, and events are appended by
one function call (one round trip: lock the head, chain the hash, insert, move the head).

(TRUNCATE is left to the database owner: Django's test flush uses it. Removing rows that way is
still caught by `rabta audit verify` through the chain head.)
"""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION rabta_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only: % on core_auditevent is refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS core_auditevent_append_only ON core_auditevent;

CREATE OR REPLACE FUNCTION rabta_audit_append(
    p_at timestamptz, p_actor_id bigint, p_actor_label text, p_action text, p_object_type text,
    p_object_id text, p_object_repr text, p_region_code text, p_district_code text,
    p_before jsonb, p_after jsonb, p_request_id text, p_body_digest text,
    OUT o_id bigint, OUT o_seq bigint, OUT o_prev_hash text, OUT o_hash text
) AS $$
BEGIN
    -- Taking the head's row lock serialises appenders, so the chain never forks.
    UPDATE core_auditchainhead SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash INTO o_seq, o_prev_hash;
    IF NOT FOUND THEN
        INSERT INTO core_auditchainhead (id, seq, hash) VALUES (1, 1, repeat('0', 64))
        ON CONFLICT (id) DO UPDATE SET seq = core_auditchainhead.seq + 1
        RETURNING seq, hash INTO o_seq, o_prev_hash;
    END IF;
    o_hash := encode(sha256(convert_to(o_seq::text || ':' || o_prev_hash || ':' || p_body_digest, 'UTF8')), 'hex');
    INSERT INTO core_auditevent (seq, at, actor_id, actor_label, action, object_type, object_id, object_repr,
                                 region_code, district_code, before, after, request_id, prev_hash, hash)
    VALUES (o_seq, p_at, p_actor_id, p_actor_label, p_action, p_object_type, p_object_id, p_object_repr,
            p_region_code, p_district_code, p_before, p_after, p_request_id, o_prev_hash, o_hash)
    RETURNING id INTO o_id;
    UPDATE core_auditchainhead SET hash = o_hash WHERE id = 1;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER core_auditevent_append_only
    BEFORE UPDATE OR DELETE ON core_auditevent
    FOR EACH ROW EXECUTE FUNCTION rabta_audit_append_only();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS core_auditevent_append_only ON core_auditevent;
DROP FUNCTION IF EXISTS rabta_audit_append_only();
DROP FUNCTION IF EXISTS rabta_audit_append(timestamptz, bigint, text, text, text, text, text, text, text, jsonb, jsonb, text, text);
"""


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
