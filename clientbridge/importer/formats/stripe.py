"""Stripe: customers exported from the Dashboard (Customers → Export, CSV).

Export: https://docs.stripe.com/get-started/data-migrations/export-file-formats names the
customer fields an export carries (id, name, email, description, and the card's address
fields); the columns of the Dashboard's customer export are those fields' labels, as in
public importers of that file ("id", "Description", "Email", "Name", "Phone", "Created
(UTC)", "Address Line1" ... "Address Postal Code", "Shipping Address Line1"...). The
address and shipping parts are the Customer object's ``address`` and ``shipping``,
https://docs.stripe.com/api/customers/object. A customer is a person or a business in
one "Name" column (a business's name becomes the company name). Unverified: "Shipping
Phone" and "Business Vat ID" (no sample export was found with them). Card, plan,
balance and spend columns, and metadata (``key (metadata)``), are Stripe's own.
"""

from clientbridge.importer.formats.base import ExportFormat

STRIPE = ExportFormat(
    name="stripe",
    title="Stripe customers export",
    help_url="https://docs.stripe.com/get-started/data-migrations/export-file-formats",
    columns={
        "id": "external_id",
        "Name": "name",
        "Email": "email*primary",
        "Phone": "phone*primary",
        "Description": "custom.description",
        "Address Line1": "address.billing.line1",
        "Address Line2": "address.billing.line2",
        "Address City": "address.billing.city",
        "Address State": "address.billing.region",
        "Address Country": "address.billing.country",
        "Address Postal Code": "address.billing.postal_code",
        "Shipping Name": "",
        "Shipping Phone": "phone*",
        "Shipping Address Line1": "address.shipping.line1",
        "Shipping Address Line2": "address.shipping.line2",
        "Shipping Address City": "address.shipping.city",
        "Shipping Address State": "address.shipping.region",
        "Shipping Address Country": "address.shipping.country",
        "Shipping Address Postal Code": "address.shipping.postal_code",
        "Business Vat ID": "custom.vat_id",
        "Created (UTC)": "",
        "Delinquent": "",
    },
    identify=("Created (UTC)", "Delinquent", "Address Postal Code", "Card Last4"),
    not_client_data=(
        "card *",
        "default source",
        "default payment method",
        "plan",
        "status",
        "cancel at period end",
        "account balance",
        "balance",
        "currency",
        "discount",
        "coupon",
        "total spend",
        "payment count",
        "refunded volume",
        "dispute losses",
        "tax exempt",
        "tax location recognized",
        "preferred locales",
        "invoice prefix",
        "invoice settings *",
        "* (metadata)",
        "tax id*",
        "test clock",
        "next invoice sequence",
        "livemode",
    ),
)
