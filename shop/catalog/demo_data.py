"""The demo catalogue of the content brief, as plain data the seeder loads."""

from __future__ import annotations

DEVICE_DESCRIPTION = """\
A handheld microcurrent device with twin rolling spheres that deliver a gentle,
low-level current while you glide it over your face. Five intensity levels, a
two-minute timer per zone and a USB-C charge that lasts about three weeks of daily use.

- Use on clean skin with a conductive gel.
- Five minutes a day, five days a week, to start.
- Cosmetic use only; see the safety notes in our guide.
"""

SERUM_DESCRIPTION = """\
Our award-winning firming serum with a blend of signal peptides, niacinamide and
hyaluronic acid. Light enough to sit under moisturiser, conductive enough to use
with a microcurrent device.
"""

GEL_DESCRIPTION = """\
A water-based hydrating gel that lets the current glide and reach the skin evenly.
Fragrance-free. One tube lasts about six weeks of daily sessions.
"""

BUNDLE_DESCRIPTION = """\
The device and a 30 ml serum together, for less than buying them apart. Pick the
device colour; the serum comes in the 30 ml size.
"""

GIFT_DESCRIPTION = """\
A travel device and a serum, packed as a gift. It cannot be bought: it is added
free to qualifying orders while the promotion runs.
"""

# Products in merchandising order. Bundle variants name their parts by SKU.
DEMO_PRODUCTS: list[dict] = [
    {
        "handle": "microcurrent-device",
        "title": "Contour Microcurrent Toning Device",
        "subtitle": "Five-minute facial toning at home",
        "description": DEVICE_DESCRIPTION,
        "product_type": "device",
        "option_name": "Colour",
        "is_featured": True,
        "images": [
            ("img/products/device-rose-gold.svg", "The toning device in rose gold", "CMD-ROSE"),
            (
                "img/products/device-pearl-white.svg",
                "The toning device in pearl white",
                "CMD-PEARL",
            ),
        ],
        "variants": [
            {
                "sku": "CMD-ROSE",
                "option_value": "Rose Gold",
                "price": 19900,
                "stock": 25,
                "weight_grams": 180,
            },
            {
                "sku": "CMD-PEARL",
                "option_value": "Pearl White",
                "price": 19900,
                "stock": 12,
                "weight_grams": 180,
            },
        ],
    },
    {
        "handle": "peptide-serum",
        "title": "Firming Peptide Serum",
        "subtitle": "Award-winning peptides for firmer-looking skin",
        "description": SERUM_DESCRIPTION,
        "product_type": "skincare",
        "option_name": "Size",
        "is_featured": True,
        "images": [
            ("img/products/serum-30ml.svg", "The peptide serum, 30 ml bottle", "FPS-30"),
            ("img/products/serum-50ml.svg", "The peptide serum, 50 ml bottle", "FPS-50"),
        ],
        "variants": [
            {
                "sku": "FPS-30",
                "option_value": "30 ml",
                "price": 5800,
                "stock": 60,
                "weight_grams": 90,
            },
            {
                "sku": "FPS-50",
                "option_value": "50 ml",
                "price": 8600,
                "compare_at_price": 9800,
                "stock": 40,
                "weight_grams": 130,
            },
        ],
    },
    {
        "handle": "conductive-gel",
        "title": "Conductive Hydrating Gel",
        "subtitle": "The glide your device needs",
        "description": GEL_DESCRIPTION,
        "product_type": "accessory",
        "option_name": None,
        "is_featured": True,
        "images": [("img/products/conductive-gel.svg", "A tube of conductive gel", None)],
        "variants": [
            {
                "sku": "CHG-100",
                "option_value": None,
                "price": 2400,
                "stock": 120,
                "weight_grams": 120,
            },
        ],
    },
    {
        "handle": "device-serum-bundle",
        "title": "Device + Serum Bundle",
        "subtitle": "The complete routine, for less",
        "description": BUNDLE_DESCRIPTION,
        "product_type": "bundle",
        "option_name": "Colour",
        "is_featured": True,
        "images": [("img/products/bundle.svg", "The device and the serum side by side", None)],
        "variants": [
            {
                "sku": "BND-ROSE",
                "option_value": "Rose Gold",
                "price": 23900,
                "compare_at_price": 25700,
                "parts": [("CMD-ROSE", 1), ("FPS-30", 1)],
            },
            {
                "sku": "BND-PEARL",
                "option_value": "Pearl White",
                "price": 23900,
                "compare_at_price": 25700,
                "parts": [("CMD-PEARL", 1), ("FPS-30", 1)],
            },
        ],
    },
    {
        "handle": "gift-set",
        "title": "Microcurrent Device & Serum Gift Set",
        "subtitle": "Free with qualifying orders",
        "description": GIFT_DESCRIPTION,
        "product_type": "gift",
        "option_name": None,
        "is_featured": False,
        "images": [("img/products/gift-set.svg", "The gift set box with a ribbon", None)],
        # The reference price is what the gift is worth; it is only ever given at 0.
        "variants": [
            {
                "sku": "GIFT-SET",
                "option_value": None,
                "price": 24500,
                "stock": 30,
                "weight_grams": 300,
            },
        ],
    },
]
