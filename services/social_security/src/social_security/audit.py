"""``python -m social_security.audit verify``: check this database's audit hash chain."""

from shared.audit import main

if __name__ == "__main__":
    raise SystemExit(main(service="social_security"))
