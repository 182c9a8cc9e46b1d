"""Import every area's models so that metadata (and Alembic) sees all tables."""
from portal.assessments.models import Assessment, SecondReview  # noqa: F401
from portal.audit.models import AuditEvent  # noqa: F401
from portal.auth.models import Membership, User  # noqa: F401
from portal.batches.models import (  # noqa: F401
    AssessmentBatch,
    AssistanceUnit,
    AssistanceUnitTownship,
    BatchMember,
    BatchTownship,
)
from portal.cadres.models import CadreContact  # noqa: F401
from portal.campaigns.models import CampaignSnapshot  # noqa: F401
from portal.cases.models import Case, CaseEvent  # noqa: F401
from portal.certificates.models import (  # noqa: F401
    Certificate,
    DispatchBatch,
    Handover,
    PrintBatch,
    Reprint,
)
from portal.dashboards.models import (  # noqa: F401
    DashboardFigure,
    DashboardRefresh,
    TownshipEstimate,
)
from portal.doctors.models import DoctorCertification  # noqa: F401
from portal.evidence.models import Evidence  # noqa: F401
from portal.guardian.models import GuardianInvite, GuardianUpload  # noqa: F401
from portal.info.models import InfoPage  # noqa: F401
from portal.jobs.models import Job  # noqa: F401
from portal.lifecycle.models import (  # noqa: F401
    CertificateRequest,
    RequestDocument,
    RequestEvent,
)
from portal.media_nodes.models import MediaNode  # noqa: F401
from portal.notices.models import Notice, NoticeOptOut  # noqa: F401
from portal.objections.models import Objection  # noqa: F401
from portal.petitions.models import (  # noqa: F401
    Petition,
    PetitionAttachment,
    PetitionEvent,
    PetitionExtension,
)
from portal.reference.models import (  # noqa: F401
    Campaign,
    CampaignPhase,
    CampaignTarget,
    ConcentratedDay,
    Hospital,
    Township,
    Village,
)
from portal.register.models import HolderEntry  # noqa: F401
from portal.rosters.models import (  # noqa: F401
    Guardianship,
    ImportJob,
    Person,
    PovertyAssignment,
    RosterEntry,
    RosterReport,
)
from portal.scheduling.models import DayAssignment, HomeVisit, HomeVisitMember  # noqa: F401
from portal.supervision.models import AccountabilityRecord, SupervisionNotice  # noqa: F401
from portal.training.models import (  # noqa: F401
    CertificationVersion,
    PriorQualification,
    TrainingAttendee,
    TrainingResult,
    TrainingSession,
)
from portal.transfers.models import Transfer  # noqa: F401
from portal.video.models import VideoConsent, VideoMedia, VideoSession  # noqa: F401
