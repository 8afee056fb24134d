"""Choices and constants of the provider directory, in one place.

Multi-valued choices (treatments, conditions, insurance, languages, credentials, states) are
stored as bit sets: member number n of a `FlagChoices` class is bit 1 << n. The order of the
members is therefore part of the stored data: append new members at the end, never reorder or
remove one (retire it by relabelling). A BigIntegerField holds up to 63 members.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models

EARTH_RADIUS_MI = 3958.7613
RADIUS_CHOICES = (10, 25, 50, 100, 250)
DEFAULT_RADIUS = 50
PAGE_SIZE = 20
# A search shows at most this many results (5 pages). Beyond it the page says "more than
# 100" and suggests a filter or a smaller distance: counting every provider within 250 miles
# of a big city would cost more than the whole rest of the search.
MAX_RESULTS = 100
MAX_LOCATION_LENGTH = 100
# Latitude is indexed in bands of 1/10 degree (about 7 miles): see models.Provider.lat_band.
LAT_BANDS_PER_DEGREE = 10
DEMO_NPI_PREFIX = "9"  # real NPIs start with 1 or 2, so a demo NPI can never be a real one


_BITS: dict[type, dict[str, int]] = {}


class FlagChoices(models.TextChoices):
    """TextChoices whose members are also bits of a bit set."""

    @classmethod
    def bit(cls, value: str) -> int:
        bits = _BITS.get(cls)
        if bits is None:
            bits = _BITS[cls] = {member.value: 1 << n for n, member in enumerate(cls)}
        return bits[value]

    @classmethod
    def mask(cls, values: Iterable[str]) -> int:
        result = 0
        for value in values:
            result |= cls.bit(value)
        return result

    @classmethod
    def members(cls, mask: int) -> list[FlagChoices]:
        return [member for n, member in enumerate(cls) if mask >> n & 1]

    @classmethod
    def labels_of(cls, mask: int) -> list[str]:
        return [member.label for member in cls.members(mask)]


class Credential(FlagChoices):
    MD = "MD", "MD (Doctor of Medicine)"
    DO = "DO", "DO (Doctor of Osteopathic Medicine)"
    NP = "NP", "NP (Nurse Practitioner)"
    PA = "PA", "PA (Physician Assistant)"
    CRNA = "CRNA", "CRNA (Certified Registered Nurse Anesthetist)"
    PHD = "PhD", "PhD (Psychologist)"
    PSYD = "PsyD", "PsyD (Doctor of Psychology)"
    LCSW = "LCSW", "LCSW (Licensed Clinical Social Worker)"
    LMFT = "LMFT", "LMFT (Licensed Marriage and Family Therapist)"
    LPC = "LPC", "LPC (Licensed Professional Counselor)"
    RN = "RN", "RN (Registered Nurse)"


PRESCRIBERS = (Credential.MD, Credential.DO, Credential.NP, Credential.PA)
PHYSICIANS = (Credential.MD, Credential.DO)


class Treatment(FlagChoices):
    IV_INFUSION = "iv-infusion", "IV ketamine infusion"
    INTRAMUSCULAR = "intramuscular", "Intramuscular (IM) ketamine"
    ESKETAMINE = "esketamine", "Spravato (esketamine) nasal spray"
    KAP = "kap", "Ketamine-assisted psychotherapy (KAP)"
    AT_HOME = "at-home", "At-home ketamine via telehealth"


class Condition(FlagChoices):
    TRD = "treatment-resistant-depression", "Treatment-resistant depression"
    MDD = "major-depression", "Major depression"
    PTSD = "ptsd", "PTSD"
    ANXIETY = "anxiety", "Anxiety"
    OCD = "ocd", "OCD"
    BIPOLAR_DEPRESSION = "bipolar-depression", "Bipolar depression"
    CHRONIC_PAIN = "chronic-pain", "Chronic pain"
    CRPS = "crps", "Complex regional pain syndrome (CRPS)"
    POSTPARTUM = "postpartum-depression", "Postpartum depression"
    SUICIDAL_IDEATION = "suicidal-ideation", "Suicidal thoughts (with a safety plan)"
    ALCOHOL_USE = "alcohol-use-disorder", "Alcohol use disorder"


PAIN_CONDITIONS = (Condition.CHRONIC_PAIN, Condition.CRPS)


class Insurance(FlagChoices):
    MEDICARE = "medicare", "Medicare"
    MEDICAID = "medicaid", "Medicaid"
    TRICARE = "tricare", "TRICARE"
    VA = "va-community-care", "VA Community Care"
    AETNA = "aetna", "Aetna"
    ANTHEM = "anthem", "Anthem"
    BCBS = "bcbs", "Blue Cross Blue Shield"
    CIGNA = "cigna", "Cigna"
    HUMANA = "humana", "Humana"
    KAISER = "kaiser", "Kaiser Permanente"
    UNITED = "unitedhealthcare", "UnitedHealthcare"
    SUPERBILL = "superbill", "Superbill for out-of-network claims"
    HSA_FSA = "hsa-fsa", "HSA / FSA cards"


class Language(FlagChoices):
    EN = "en", "English"
    ES = "es", "Spanish"
    ZH = "zh", "Chinese"
    VI = "vi", "Vietnamese"
    TL = "tl", "Tagalog"
    AR = "ar", "Arabic"
    FR = "fr", "French"
    KO = "ko", "Korean"
    RU = "ru", "Russian"
    DE = "de", "German"
    PT = "pt", "Portuguese"
    HI = "hi", "Hindi"
    ASL = "ase", "American Sign Language"


class State(FlagChoices):
    AL = "AL", "Alabama"
    AK = "AK", "Alaska"
    AZ = "AZ", "Arizona"
    AR = "AR", "Arkansas"
    CA = "CA", "California"
    CO = "CO", "Colorado"
    CT = "CT", "Connecticut"
    DE = "DE", "Delaware"
    DC = "DC", "District of Columbia"
    FL = "FL", "Florida"
    GA = "GA", "Georgia"
    HI = "HI", "Hawaii"
    ID = "ID", "Idaho"
    IL = "IL", "Illinois"
    IN = "IN", "Indiana"
    IA = "IA", "Iowa"
    KS = "KS", "Kansas"
    KY = "KY", "Kentucky"
    LA = "LA", "Louisiana"
    ME = "ME", "Maine"
    MD = "MD", "Maryland"
    MA = "MA", "Massachusetts"
    MI = "MI", "Michigan"
    MN = "MN", "Minnesota"
    MS = "MS", "Mississippi"
    MO = "MO", "Missouri"
    MT = "MT", "Montana"
    NE = "NE", "Nebraska"
    NV = "NV", "Nevada"
    NH = "NH", "New Hampshire"
    NJ = "NJ", "New Jersey"
    NM = "NM", "New Mexico"
    NY = "NY", "New York"
    NC = "NC", "North Carolina"
    ND = "ND", "North Dakota"
    OH = "OH", "Ohio"
    OK = "OK", "Oklahoma"
    OR = "OR", "Oregon"
    PA = "PA", "Pennsylvania"
    RI = "RI", "Rhode Island"
    SC = "SC", "South Carolina"
    SD = "SD", "South Dakota"
    TN = "TN", "Tennessee"
    TX = "TX", "Texas"
    UT = "UT", "Utah"
    VT = "VT", "Vermont"
    VA = "VA", "Virginia"
    WA = "WA", "Washington"
    WV = "WV", "West Virginia"
    WI = "WI", "Wisconsin"
    WY = "WY", "Wyoming"
    PR = "PR", "Puerto Rico"
    GU = "GU", "Guam"
    VI = "VI", "U.S. Virgin Islands"
    AS = "AS", "American Samoa"
    MP = "MP", "Northern Mariana Islands"


class VerificationStatus(models.TextChoices):
    UNVERIFIED = "unverified", "Not verified"
    VERIFIED = "verified", "Verified"
    FAILED = "failed", "Check failed"


class VerificationMethod(models.TextChoices):
    """What was checked. The profile says exactly this, never more."""

    NONE = "", "Nothing checked"
    NPI_FORMAT = "npi-format", "NPI format and check digit"
    NPI_REGISTRY = "npi-registry", "NPI looked up in the NPPES registry"
    STATE_LICENSE = "state-license", "License looked up with the state board"


# How the strongest passing check reads on a search card: "{what} checked". Never "verified":
# only VerificationStatus.VERIFIED (NPI and license, see verification.py) says that.
VERIFICATION_WHAT = {
    VerificationMethod.NPI_FORMAT: "NPI format",
    VerificationMethod.NPI_REGISTRY: "NPI in the national registry",
    VerificationMethod.STATE_LICENSE: "License",
}


class CheckKind(models.TextChoices):
    """One recorded check (models.VerificationCheck). The badge names each with its date."""

    NPI_FORMAT = "npi-format", "NPI format and check digit"
    NPI_REGISTRY = "npi-registry", "NPI matched in the national registry (NPPES)"
    LICENSE = "license", "State license checked by staff"
    REMS = "rems", "REMS certification seen by staff"


# The method a provider shows for its strongest passing check of each kind.
CHECK_METHOD = {
    CheckKind.NPI_FORMAT: VerificationMethod.NPI_FORMAT,
    CheckKind.NPI_REGISTRY: VerificationMethod.NPI_REGISTRY,
    CheckKind.LICENSE: VerificationMethod.STATE_LICENSE,
}

# Every cached directory page has this version in its key; a write bumps it.
CACHE_VERSION_KEY = "directory:version"
CACHE_SECONDS = 600
