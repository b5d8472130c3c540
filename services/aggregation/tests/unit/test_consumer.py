"""What the aggregation consumer listens to and how it routes each event type."""

from __future__ import annotations

from aggregation.consumer import TOPICS
from aggregation.handlers import HANDLERS
from shared.events import (
    EVENT_TYPES,
    industrial_relations,
    inspection,
    job_market,
    social_security,
    training,
)
from shared.services import DOMAIN_SERVICES


def test_the_consumer_reads_every_domain_topic_by_default() -> None:
    assert set(TOPICS) == {service.topic for service in DOMAIN_SERVICES}
    assert industrial_relations.TOPIC in TOPICS


def test_every_event_type_of_every_domain_has_a_handler() -> None:
    assert set(HANDLERS) == set(EVENT_TYPES)


def test_the_first_and_the_updated_snapshot_of_an_entity_go_to_the_same_projection() -> None:
    pairs = [
        (job_market.JobSeekerRegisteredV1, job_market.JobSeekerUpdatedV1),
        (job_market.VacancyPostedV1, job_market.VacancyUpdatedV1),
        (job_market.PlacementRecordedV1, job_market.PlacementUpdatedV1),
        (training.ProgramCreatedV1, training.ProgramUpdatedV1),
        (job_market.EmploymentProgramRecordedV1, job_market.EmploymentProgramUpdatedV1),
        (job_market.ProgramBeneficiaryRecordedV1, job_market.ProgramBeneficiaryUpdatedV1),
        (industrial_relations.LayoffRecordedV1, industrial_relations.LayoffUpdatedV1),
        (industrial_relations.DisputeRecordedV1, industrial_relations.DisputeUpdatedV1),
        (industrial_relations.AgreementRecordedV1, industrial_relations.AgreementUpdatedV1),
        (industrial_relations.UnionRecordedV1, industrial_relations.UnionUpdatedV1),
        (training.EnrollmentRecordedV1, training.EnrollmentUpdatedV1),
        (inspection.CompanyRegisteredV1, inspection.CompanyUpdatedV1),
        (inspection.InspectionRecordedV1, inspection.InspectionUpdatedV1),
        (inspection.AccidentReportedV1, inspection.AccidentUpdatedV1),
        (social_security.MembershipRegisteredV1, social_security.MembershipUpdatedV1),
        (social_security.ClaimSubmittedV1, social_security.ClaimUpdatedV1),
    ]
    for first, updated in pairs:
        assert HANDLERS[first.event_type] is HANDLERS[updated.event_type]
    assert len({HANDLERS[first.event_type] for first, _ in pairs}) == len(pairs)
