"""Shopify: customers exported from the admin (Customers → Export, CSV for Excel or plain
CSV).

The columns are Shopify's customer CSV file, described with its sample file at
https://help.shopify.com/en/manual/customers/import-export-customers/customer-csv and
https://help.shopify.com/en/manual/migrating-to-shopify/transporter-app/csv-customers
(First Name, Last Name, Email, Company, Address1, Address2, City, Province, Province
Code, Country, Country Code, Zip, Phone, Accepts Marketing, Total Spent, Total Orders,
Tags, Note, Tax Exempt). Exports since 2023 prefix the default address's columns with
"Default Address" and add "Customer ID", "Default Address Phone", "Accepts Email
Marketing" and "Accepts SMS Marketing", as public importers of those exports read them.
A customer's own phone ("Phone") goes first; the address's phone is another number.
Marketing consent, totals and tags are Shopify's own and hold no client data.
"""

from clientbridge.importer.formats.base import ExportFormat

_DEFAULT = "Default Address"

SHOPIFY = ExportFormat(
    name="shopify",
    title="Shopify customers export",
    help_url="https://help.shopify.com/en/manual/customers/import-export-customers/customer-csv",
    columns={
        "Customer ID": "external_id",
        "First Name": "first_name",
        "Last Name": "last_name",
        "Email": "email*primary",
        "Phone": "phone*primary",
        f"{_DEFAULT} Company": "company_name",
        f"{_DEFAULT} Address1": "address.default.line1",
        f"{_DEFAULT} Address2": "address.default.line2",
        f"{_DEFAULT} City": "address.default.city",
        f"{_DEFAULT} Province Code": "address.default.region",
        f"{_DEFAULT} Province": "address.default.region",
        f"{_DEFAULT} Country Code": "address.default.country",
        f"{_DEFAULT} Country": "address.default.country",
        f"{_DEFAULT} Zip": "address.default.postal_code",
        f"{_DEFAULT} Phone": "phone*",
        "Company": "company_name",
        "Address1": "address.default.line1",
        "Address2": "address.default.line2",
        "City": "address.default.city",
        "Province": "address.default.region",
        "Province Code": "address.default.region",
        "Country": "address.default.country",
        "Country Code": "address.default.country",
        "Zip": "address.default.postal_code",
        "Note": "custom.note",
        "Accepts Email Marketing": "",
        "Accepts SMS Marketing": "",
        "Accepts Marketing": "",
        "Total Spent": "",
        "Total Orders": "",
        "Tax Exempt": "",
        "Tags": "",
    },
    identify=(
        f"{_DEFAULT} Address1",
        f"{_DEFAULT} Zip",
        "Accepts Email Marketing",
        "Accepts Marketing",
        "Total Orders",
        "Tax Exempt",
    ),
    not_client_data=("accepts *", "total *", "* (customer.metafields.*)", "language"),
)
