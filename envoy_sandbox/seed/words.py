"""The seeder's word lists and weights: the constant data every generated row is drawn from.

Cities, customers, carrier and people names, equipment and commodities, each load-status tab's
statuses and weight, and the reasons, messages and statuses of calls, verifications and
escalations. Data only, no code: the generators in ``loads`` and ``webhooks`` pick from these,
and their order is part of the seed (reordering a list changes every seeded row).
"""

from __future__ import annotations

from ..contract import EscalationStatus, LoadTab

CITIES = [
    ("Chicago", "IL", 41.88, -87.63),
    ("Dallas", "TX", 32.78, -96.80),
    ("Atlanta", "GA", 33.75, -84.39),
    ("Los Angeles", "CA", 34.05, -118.24),
    ("Houston", "TX", 29.76, -95.37),
    ("Memphis", "TN", 35.15, -90.05),
    ("Columbus", "OH", 39.96, -82.99),
    ("Indianapolis", "IN", 39.77, -86.16),
    ("Kansas City", "MO", 39.10, -94.58),
    ("Denver", "CO", 39.74, -104.99),
    ("Phoenix", "AZ", 33.45, -112.07),
    ("Nashville", "TN", 36.16, -86.78),
    ("Charlotte", "NC", 35.23, -80.84),
    ("Jacksonville", "FL", 30.33, -81.66),
    ("Louisville", "KY", 38.25, -85.76),
    ("Salt Lake City", "UT", 40.76, -111.89),
    ("Seattle", "WA", 47.61, -122.33),
    ("Portland", "OR", 45.52, -122.68),
    ("Newark", "NJ", 40.74, -74.17),
    ("Harrisburg", "PA", 40.27, -76.88),
    ("Laredo", "TX", 27.51, -99.51),
    ("Fresno", "CA", 36.74, -119.79),
    ("Omaha", "NE", 41.26, -95.93),
    ("St. Louis", "MO", 38.63, -90.20),
    ("Minneapolis", "MN", 44.98, -93.27),
    ("Detroit", "MI", 42.33, -83.05),
    ("Savannah", "GA", 32.08, -81.09),
    ("Reno", "NV", 39.53, -119.81),
    ("Albuquerque", "NM", 35.08, -106.65),
    ("Oklahoma City", "OK", 35.47, -97.52),
    ("Little Rock", "AR", 34.75, -92.29),
    ("Birmingham", "AL", 33.52, -86.80),
    ("Boise", "ID", 43.62, -116.20),
    ("Allentown", "PA", 40.60, -75.49),
    ("Stockton", "CA", 37.96, -121.29),
    ("Green Bay", "WI", 44.51, -88.01),
]
CUSTOMERS = [
    "Acme Foods",
    "Northwind Grocers",
    "Summit Building Supply",
    "Great Plains Grain Co.",
    "Redwood Paper Products",
    "Bluewater Beverages",
    "Ironclad Steel",
    "Harvest Valley Produce",
    "Evergreen Home Goods",
    "Pioneer Auto Parts",
    "Coastal Seafood Traders",
    "Keystone Plastics",
    "Silverline Electronics",
    "Prairie Dairy Cooperative",
    "Granite State Furniture",
    "Sunbelt Chemicals",
    "Heartland Pet Supply",
    "Lone Star Packaging",
    "Cascade Lumber",
    "Magnolia Textiles",
]
CARRIER_WORDS = (
    [
        "Blue Ridge",
        "Red River",
        "Iron Horse",
        "Eagle",
        "Patriot",
        "Midwest",
        "Coastal",
        "Summit",
        "Prairie",
        "Lone Star",
        "Great Lakes",
        "Silver State",
        "Big Sky",
        "Cardinal",
        "Keystone",
        "Gulf Coast",
        "Rocky Mountain",
        "Heartland",
        "Liberty",
        "Frontier",
    ],
    ["Transport", "Freight Lines", "Logistics", "Trucking", "Carriers", "Express", "Haulers"],
)
FIRST = [
    "Dana",
    "Luis",
    "Maria",
    "James",
    "Priya",
    "Kevin",
    "Tasha",
    "Omar",
    "Linda",
    "Chen",
    "Rosa",
    "Derek",
    "Aisha",
    "Tom",
    "Grace",
    "Victor",
]
LAST = [
    "Lee",
    "Garcia",
    "Johnson",
    "Patel",
    "Nguyen",
    "Smith",
    "Brown",
    "Okafor",
    "Kim",
    "Martinez",
    "Davis",
    "Wilson",
    "Lopez",
    "Clark",
]
EQUIPMENT = ["VAN"] * 6 + ["REEFER"] * 3 + ["FLATBED"] * 2 + ["STEP_DECK", "POWER_ONLY"]
COMMODITIES = {
    "VAN": ["Dry groceries", "Paper goods", "Consumer electronics", "Auto parts", "Furniture"],
    "REEFER": ["Frozen poultry", "Fresh produce", "Dairy", "Ice cream", "Seafood"],
    "FLATBED": ["Steel coils", "Lumber", "Building materials", "Pipe"],
    "STEP_DECK": ["Machinery", "Tractors", "Transformers"],
    "POWER_ONLY": ["Preloaded trailer", "Drop trailer"],
}
# Each status tab, the load statuses shown under it, and its weight among seeded loads.
TAB_STATUS = [
    (LoadTab.AVAILABLE, ["Available", "Posted"], 25),
    (LoadTab.COVERED, ["Covered", "Dispatched"], 30),
    (LoadTab.IN_TRANSIT, ["In Transit", "At Pickup", "At Delivery"], 25),
    (LoadTab.DELIVERED, ["Delivered"], 20),
]
TAB_WEIGHTS = [w for _, _, w in TAB_STATUS]
SPECIAL_INSTRUCTIONS = [
    "Driver assist unload",
    "TWIC required",
    "No touch freight",
    "Call 1 hr ahead",
    "Tarps required",
    "Seal must stay intact",
]
VERIFICATION_REASONS = [
    "Insurance expired",
    "Missing W9 form",
    "Authority not active with FMCSA",
    "Cargo insurance below $100,000 minimum",
    "MC number under 6 months old",
    "Out-of-service order on file",
    "Unsatisfactory safety rating",
    "Double brokering suspected",
    "Phone number does not match FMCSA record",
    "Carrier not authorized for hire",
]
VERIFICATION_STAGES = ["Verification", "Insurance check", "Authority check", "Onboarding"]
ESCALATION_MESSAGES = [
    ("RATE_NEGOTIATION", "Carrier asks for ${amt} over max buy; needs approval."),
    ("APPOINTMENT", "Receiver cannot take the load at the booked appointment; reschedule needed."),
    ("DETENTION", "Driver held at shipper for over 3 hours; carrier requests detention pay."),
    ("TRACKING", "Driver not answering and tracking went dark near {city}."),
    ("COMPLIANCE", "Carrier's insurance certificate does not list the shipper as holder."),
    ("CUSTOMER_REQUEST", "Customer asks to add a stop; carrier wants a new rate."),
]
# Drawn uniformly: the repeats make ACTIVE twice as likely as each other status.
ESCALATION_STATUS_WEIGHTS = [
    EscalationStatus.ACTIVE,
    EscalationStatus.ACTIVE,
    EscalationStatus.RESPONDED,
    EscalationStatus.TIMED_OUT,
    EscalationStatus.CANCELLED,
]
AGENT_TYPES = ["CARRIER_SALES", "TRACKING", "CUSTOMER_SUPPORT", "APPOINTMENT_SCHEDULING"]
CALL_TYPES = [
    "Carrier Sales",
    "Check Call",
    "Customer Support",
    "Appointment Scheduling",
    "Driver Check-in",
]
CALL_STATUSES = ["COMPLETED"] * 10 + [
    "SCHEDULED",
    "IN_PROGRESS",
    "FAILED",
    "NO_ANSWER",
    "VOICEMAIL",
    "TRANSFERRED",
]
