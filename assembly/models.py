"""SQLModel tables. Every schema change needs a migration in ``migrations/versions``."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlalchemy import Enum as SAEnum
from sqlmodel import Field, SQLModel

from .timeutil import utcnow


class Stage(StrEnum):
    """The journey of one assembly, in order."""

    SETUP = "setup"
    RECRUITMENT = "recruitment"
    DRAW = "draw"
    SESSIONS = "sessions"
    VOTING = "voting"
    AGREEMENT = "agreement"


STAGE_ORDER: list[Stage] = list(Stage)


def state_field(kind: type[StrEnum], default: StrEnum, *, index: bool = False) -> Any:
    """A status column holding one of ``kind``'s values, stored as its plain text.

    Stored as VARCHAR(20) (not a database enum type), so adding a state needs no
    migration of the column; reading gives the enum member back.
    """
    column_type = SAEnum(
        kind,
        native_enum=False,
        create_constraint=False,
        length=20,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )
    return Field(
        default=default, sa_column=Column(column_type, nullable=False, index=index)
    )


class DrawStatus(StrEnum):
    """A computation of the panel lottery (see :data:`assembly.states.DRAW`)."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    INFEASIBLE = "infeasible"
    FAILED = "failed"
    CANCELLED = "cancelled"


class SeatStatus(StrEnum):
    """A member's answer to the invitation to take their seat."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    NO_ANSWER = "no_answer"


class SeatOrigin(StrEnum):
    """How a member came on the panel."""

    DRAW = "draw"
    RESERVE = "reserve"
    REPLACEMENT = "replacement"


class MailStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class AddressImportStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    REJECTED = "rejected"
    FAILED = "failed"


class Channel(StrEnum):
    """How a registration came in."""

    LETTER = "letter"
    OPEN = "open"
    STAFF = "staff"
    IMPORT = "import"


class Role(StrEnum):
    ADMIN = "admin"
    ORGANISER = "organiser"
    OBSERVER = "observer"


class Assembly(SQLModel, table=True):
    __tablename__ = "assembly"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=80, unique=True, index=True)
    name: str = Field(max_length=200)
    region: str = Field(default="", max_length=200)
    commissioning_bodies: str = Field(default="", max_length=500)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    panel_size: int = Field(default=100)
    reserves: int = Field(default=20)
    stage: str = Field(default=Stage.SETUP.value, max_length=20)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    # Recruitment settings. The letter text may hold placeholders such as {code} and {url}.
    letter_text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    open_registration: bool = Field(default=False)
    registration_closes_at: datetime | None = None
    organiser_contact: str = Field(default="", max_length=300)
    # Personal data of people not selected is purged this many months after the panel is final.
    retention_months: int = Field(default=12)
    # When street, house number and postcode of the address list were blanked (privacy).
    addresses_purged_at: datetime | None = None
    # Goes up with every change to what the public pages show (assembly.published).
    public_version: int = Field(default=0)


class Milestone(SQLModel, table=True):
    """When a stage is planned, as the public reads it ("voorjaar 2025", "12 april")."""

    __tablename__ = "milestone"
    __table_args__ = (UniqueConstraint("assembly_id", "stage"),)

    id: int | None = Field(default=None, primary_key=True)
    assembly_id: int = Field(foreign_key="assembly.id", index=True)
    stage: str = Field(max_length=20)
    period: str = Field(default="", max_length=200)


class User(SQLModel, table=True):
    """A staff account: admin, organiser or observer."""

    __tablename__ = "staff_user"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    name: str = Field(default="", max_length=200)
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=20)
    active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow)
    last_login_at: datetime | None = None

    # The Flask-Login protocol, with an id that says which kind of principal this is.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"staff:{self.id}"


class Membership(SQLModel, table=True):
    """Which assemblies an organiser or observer works on (admins see all)."""

    __tablename__ = "membership"

    user_id: int = Field(foreign_key="staff_user.id", primary_key=True)
    assembly_id: int = Field(foreign_key="assembly.id", primary_key=True, index=True)


class Attempt(SQLModel, table=True):
    """One counted attempt (a failed login, a wrong code, a registration) for a rate limit.

    Kept in the database so the limits hold across worker processes. ``key`` is a keyed
    hash of what is limited (an address, an account), never the address itself.
    """

    __tablename__ = "attempt"
    __table_args__ = (Index("ix_attempt_kind_key_created", "kind", "key", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=30)
    key: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, index=True)


class AttemptLock(SQLModel, table=True):
    """One row per limited key, locked while its attempts are counted and added, so that
    concurrent requests on several workers cannot all slip under the limit."""

    __tablename__ = "attempt_lock"

    kind: str = Field(max_length=30, primary_key=True)
    key: str = Field(max_length=64, primary_key=True)


class PasswordResetToken(SQLModel, table=True):
    __tablename__ = "password_reset_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="staff_user.id", index=True)
    # Only a hash: a copy of the database must not let anyone reset a password.
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None


class AuditEntry(SQLModel, table=True):
    """One line of the append-only, hash-chained audit log."""

    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow)
    assembly_id: int | None = Field(default=None, foreign_key="assembly.id", index=True)
    actor: str = Field(max_length=300)
    action: str = Field(max_length=100)
    object_type: str = Field(default="", max_length=100)
    object_id: str = Field(default="", max_length=100)
    payload: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)


class OutboxMessage(SQLModel, table=True):
    """An e-mail, written with the change that causes it and sent later by the worker."""

    __tablename__ = "outbox_message"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    assembly_id: int | None = Field(default=None, foreign_key="assembly.id", index=True)
    to_address: str = Field(max_length=254)
    subject: str = Field(max_length=300)
    body: str = Field(sa_column=Column(Text, nullable=False))
    html_body: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    status: MailStatus = state_field(MailStatus, MailStatus.PENDING, index=True)
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(default_factory=utcnow)
    last_error: str = Field(default="", max_length=1000)
    sent_at: datetime | None = None


class AddressFields(SQLModel):
    """What an address list row holds: only what the letters and the lottery need."""

    external_id: str = Field(max_length=64)
    street: str = Field(max_length=200)
    house_number: str = Field(max_length=20)
    postcode: str = Field(max_length=7)
    city: str = Field(max_length=100)
    municipality: str = Field(max_length=100)
    district: str = Field(default="", max_length=100)
    adults: int | None = None


class Address(AddressFields, table=True):
    """One address from the registry extract: only what the letters and the lottery need."""

    __tablename__ = "recruitment_address"
    __table_args__ = (UniqueConstraint("assembly_id", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    assembly_id: int = Field(foreign_key="assembly.id", index=True)


class InvitationBatch(SQLModel, table=True):
    """One run of the invitation lottery: which letters, drawn with which seed."""

    __tablename__ = "invitation_batch"

    id: int | None = Field(default=None, primary_key=True)
    assembly_id: int = Field(foreign_key="assembly.id", index=True)
    number: int
    created_at: datetime = Field(default_factory=utcnow)
    seed: str = Field(max_length=64)
    strata_kind: str = Field(max_length=20)
    letters: int
    # The allocation per stratum and the weights used, as JSON (for the page and the log).
    allocation: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))


class Invitation(SQLModel, table=True):
    """A letter to one address with its registration code. An address is invited once."""

    __tablename__ = "invitation"

    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="invitation_batch.id", index=True)
    address_id: int = Field(foreign_key="recruitment_address.id", unique=True)
    # The code is printed on the letter, so it is kept for the mail merge; never logged.
    code: str = Field(max_length=12, unique=True)


class AddressImport(SQLModel, table=True):
    """An upload of the address list, read by a background job, and how it went.

    The rows are read into ``address_import_row`` in short transactions (so the rest of the
    site keeps working on SQLite) and copied into the address list in one short transaction
    at the end, so the list is replaced completely or not at all.
    """

    __tablename__ = "address_import"

    id: int | None = Field(default=None, primary_key=True)
    assembly_id: int = Field(foreign_key="assembly.id", index=True)
    user_id: int | None = Field(default=None, foreign_key="staff_user.id")
    created_at: datetime = Field(default_factory=utcnow)
    # Written with every chunk: an import that stops being updated was stopped by a crash.
    updated_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    status: AddressImportStatus = state_field(AddressImportStatus, AddressImportStatus.QUEUED)
    only_valid: bool = Field(default=False)
    # The saved upload in the import folder (a random name), deleted when the job ends.
    upload_name: str = Field(default="", max_length=100)
    upload_bytes: int = Field(default=0)
    # How far the job has read (bytes and rows): the progress the page shows.
    bytes_read: int = Field(default=0)
    rows_read: int = Field(default=0)
    imported: int = Field(default=0)
    invalid_rows: int = Field(default=0)
    replaced: int = Field(default=0)
    delimiter: str = Field(default=",", max_length=1)
    # The row report as JSON: [[row, column, reason], ...] (reasons are codes, no data).
    errors: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    failure: str = Field(default="", max_length=50)


class AddressImportRow(AddressFields, table=True):
    """A valid row of an import that is still being read; never read by anything else."""

    __tablename__ = "address_import_row"

    id: int | None = Field(default=None, primary_key=True)
    import_id: int = Field(foreign_key="address_import.id", index=True)


class SessionDate(SQLModel, table=True):
    """A planned session; registrants say on which of these they can come."""

    __tablename__ = "session_date"

    id: int | None = Field(default=None, primary_key=True)
    assembly_id: int = Field(foreign_key="assembly.id", index=True)
    starts_at: datetime
    label: str = Field(default="", max_length=200)
    location: str = Field(default="", max_length=200)


class CategoryQuestion(SQLModel, table=True):
    """A question on the registration form whose answers are the values of one category."""

    __tablename__ = "category_question"
    __table_args__ = (UniqueConstraint("assembly_id", "category"),)

    id: int | None = Field(default=None, primary_key=True)
    assembly_id: int = Field(foreign_key="assembly.id", index=True)
    position: int = Field(default=0)
    # The category's name in the sortition files (e.g. "leeftijd").
    category: str = Field(max_length=100)
    question: str = Field(max_length=500)
    question_en: str = Field(default="", max_length=500)
    # Special-category data (AVG art. 9, e.g. political opinion) needs its own consent.
    special_category: bool = Field(default=False)


class CategoryOption(SQLModel, table=True):
    """One answer to a category question, mapped to a category value."""

    __tablename__ = "category_option"
    __table_args__ = (UniqueConstraint("question_id", "value"),)

    id: int | None = Field(default=None, primary_key=True)
    question_id: int = Field(foreign_key="category_question.id", index=True)
    position: int = Field(default=0)
    # The category value in the sortition files (e.g. "16-24").
    value: str = Field(max_length=100)
    label: str = Field(max_length=200)
    label_en: str = Field(default="", max_length=200)
    # "Zeg ik liever niet": a value of its own, so these people stay in the pool.
    prefer_not: bool = Field(default=False)
    # Share of the population with this value (0..1), the basis of the quotas.
    population_share: float | None = None
    # Quotas of the panel draw: the share may be off by this much (0..1, percentage points
    # / 100) before min and max are reached; min and max are computed from share and
    # tolerance and may be edited (None until first set).
    tolerance: float = Field(default=0.03)
    quota_min: int | None = None
    quota_max: int | None = None


class Registration(SQLModel, table=True):
    """A person in the respondent pool. Everyone registered with one code is one household."""

    __tablename__ = "registration"

    id: int | None = Field(default=None, primary_key=True)
    assembly_id: int = Field(foreign_key="assembly.id", index=True)
    invitation_id: int | None = Field(default=None, foreign_key="invitation.id", index=True)
    # Random, not personal: used in anonymised exports and as the sortition id.
    reference: str = Field(max_length=16, unique=True)
    # "inv:<invitation id>" for letters; a random key for open, staff and imported entries.
    household_key: str = Field(max_length=64, index=True)
    channel: Channel = state_field(Channel, Channel.LETTER)
    name: str = Field(default="", max_length=200)
    email: str = Field(default="", max_length=254, index=True)
    phone: str = Field(default="", max_length=40)
    accessibility_needs: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    dietary_needs: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    consent_privacy_at: datetime | None = None
    consent_special_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    withdrawn_at: datetime | None = None
    purged_at: datetime | None = None
    # Only a hash of the personal link's token, like password reset tokens.
    token_hash: str = Field(max_length=64, unique=True)


class RegistrationAnswer(SQLModel, table=True):
    __tablename__ = "registration_answer"

    registration_id: int = Field(foreign_key="registration.id", primary_key=True)
    question_id: int = Field(foreign_key="category_question.id", primary_key=True)
    option_id: int = Field(foreign_key="category_option.id", index=True)


class RegistrationAvailability(SQLModel, table=True):
    __tablename__ = "registration_availability"

    registration_id: int = Field(foreign_key="registration.id", primary_key=True)
    session_date_id: int = Field(foreign_key="session_date.id", primary_key=True)


class PoolCountSnapshot(SQLModel, table=True):
    """Anonymous counts per category value of pool members whose personal data was purged.

    Purging deletes their answers, so the composition page adds these counts to the live
    ones. Only people who were in the pool (not withdrawn) are counted.
    """

    __tablename__ = "pool_count_snapshot"
    __table_args__ = (UniqueConstraint("assembly_id", "option_id"),)

    id: int | None = Field(default=None, primary_key=True)
    assembly_id: int = Field(foreign_key="assembly.id", index=True)
    option_id: int = Field(foreign_key="category_option.id")
    people: int = Field(default=0)
    updated_at: datetime = Field(default_factory=utcnow)


class DrawRun(SQLModel, table=True):
    """One computation of the panel lottery (a background job) and, later, its public draw.

    The anonymised inputs are stored exactly as published, so the fingerprint, the
    downloads and ``python -m sortition verify`` always agree.
    """

    __tablename__ = "draw_run"

    id: int | None = Field(default=None, primary_key=True)
    assembly_id: int = Field(foreign_key="assembly.id", index=True)
    status: DrawStatus = state_field(DrawStatus, DrawStatus.QUEUED)
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    # Written every few seconds by the worker: a stale heartbeat means the worker died.
    heartbeat_at: datetime | None = None
    attempts: int = Field(default=0)
    progress: float = Field(default=0.0)
    progress_message: str = Field(default="", max_length=300)
    cancel_requested: bool = Field(default=False)
    panel_size: int
    reserves: int
    algorithm: str = Field(default="leximin", max_length=20)
    pool_size: int = Field(default=0)
    households: int = Field(default=0)
    people_csv: str = Field(sa_column=Column(Text, nullable=False))
    categories_csv: str = Field(sa_column=Column(Text, nullable=False))
    # The published files name people by a random id made for this run; this maps it to
    # the registration (JSON, never published), so no id in them is known elsewhere.
    id_map_json: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    settings_json: str = Field(sa_column=Column(Text, nullable=False))
    # Per category value at the start: label, population share, tolerance (for the pages).
    targets_json: str = Field(sa_column=Column(Text, nullable=False))
    fingerprint: str = Field(max_length=64)
    # The lottery as published before the seed (report.json without a draw), and its hash.
    report_json: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    lottery_sha256: str = Field(default="", max_length=64)
    diagnosis_json: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    error: str = Field(default="", max_length=1000)
    min_probability: float | None = None
    max_probability: float | None = None
    published_at: datetime | None = None
    seed_method: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    seed: str | None = Field(default=None, max_length=200)
    seeded_at: datetime | None = None
    # report.json with the seed, the panel and the reserves.
    final_report_json: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    respond_by: datetime | None = None
    # When the people in the lottery who were not drawn (reserves, the others) were told.
    outcomes_sent_at: datetime | None = None


class DrawPerson(SQLModel, table=True):
    """A registrant in a run's pool: their selection probability and place in the draw."""

    __tablename__ = "draw_person"

    run_id: int = Field(foreign_key="draw_run.id", primary_key=True)
    registration_id: int = Field(foreign_key="registration.id", primary_key=True, index=True)
    reference: str = Field(max_length=16)
    probability: float = Field(default=0.0)
    selected: bool = Field(default=False)
    reserve_rank: int | None = None


class PanelMember(SQLModel, table=True):
    """A seat on the panel: drawn, or taken over from someone who declined."""

    __tablename__ = "panel_member"
    __table_args__ = (UniqueConstraint("run_id", "registration_id"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="draw_run.id", index=True)
    registration_id: int = Field(foreign_key="registration.id", index=True)
    origin: SeatOrigin = state_field(SeatOrigin, SeatOrigin.DRAW)
    # Unique: a seat is taken over once, also when two organisers fill seats at once.
    replaces_id: int | None = Field(default=None, foreign_key="panel_member.id", unique=True)
    status: SeatStatus = state_field(SeatStatus, SeatStatus.PENDING)
    created_at: datetime = Field(default_factory=utcnow)
    invited_at: datetime | None = None
    by_letter: bool = Field(default=False)
    responded_at: datetime | None = None
    # The personal link's token is derived from the secret key and this nonce (so a letter
    # can be printed again); only its hash is looked up.
    token_nonce: str = Field(default="", max_length=32)
    token_hash: str | None = Field(default=None, max_length=64, unique=True)


class DrawSignature(SQLModel, table=True):
    """An observer's countersignature of a draw's result."""

    __tablename__ = "draw_signature"
    __table_args__ = (UniqueConstraint("run_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="draw_run.id", index=True)
    user_id: int = Field(foreign_key="staff_user.id")
    signed_at: datetime = Field(default_factory=utcnow)
    report_sha256: str = Field(max_length=64)
    # The head of the assembly's audit log when the observer signed (count and hash).
    audit_count: int | None = None
    audit_hash: str | None = Field(default=None, max_length=64)


class DrawReplacement(SQLModel, table=True):
    """One round of replacements with what anyone needs to check it (published).

    ``evidence`` is a step of ``vervangingen.json``: the panel before, who left, who came,
    how (the next reserve, or the engine's fair draw with its seed and lottery) and who
    was no longer in the pool. ``position`` numbers the rounds of a run; unique, so two
    rounds written at once cannot both be the next.
    """

    __tablename__ = "draw_replacement"
    __table_args__ = (UniqueConstraint("run_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="draw_run.id", index=True)
    position: int
    created_at: datetime = Field(default_factory=utcnow)
    evidence: str = Field(sa_column=Column(Text, nullable=False))
