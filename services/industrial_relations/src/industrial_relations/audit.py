"""``python -m industrial_relations.audit verify``: check the hash chain of this database's
audit trail."""

from shared.audit import main

if __name__ == "__main__":
    raise SystemExit(main(service="industrial_relations"))
