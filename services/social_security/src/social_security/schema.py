"""Every table of the social-security database, for Alembic."""

from social_security.claims.models import Claim
from social_security.db import metadata
from social_security.memberships.models import Membership

__all__ = ["Claim", "Membership", "metadata"]
