"""vCard 3.0 and 4.0 (Apple Contacts, and the .vcf files Google and Outlook write).

Apple Contacts exports selected cards as one .vcf file (File → Export → Export vCard):
https://support.apple.com/guide/contacts/export-or-archive-contacts-adrbdcfd32e6/mac
Properties: RFC 2426 (3.0) and RFC 6350 (4.0). The reader turns each card into the
columns below (``TYPE`` parameters are the labels).
"""

from clientbridge.importer.formats.base import ExportFormat

VCARD = ExportFormat(
    name="vcard",
    title="vCard (Apple Contacts)",
    help_url="https://support.apple.com/guide/contacts/export-or-archive-contacts-adrbdcfd32e6/mac",
    columns={
        "FN": "name",
        "N (given)": "first_name",
        "N (family)": "last_name",
        "N (prefix)": "title",
        "ORG": "company_name",
        "TITLE": "custom.job_title",
        "EMAIL": "email*",
        "TEL": "phone*",
        "TEL;TYPE=FAX": "fax*",
        "ADR (street)": "address.{n}.line1",
        "ADR (extended)": "address.{n}.line2",
        "ADR (PO box)": "address.{n}.po_box",
        "ADR (locality)": "address.{n}.city",
        "ADR (region)": "address.{n}.region",
        "ADR (postal code)": "address.{n}.postal_code",
        "ADR (country)": "address.{n}.country",
        "UID": "external_id",
        "NOTE": "custom.notes",
        "URL": "custom.website",
        "BDAY": "custom.birthday",
        "CATEGORIES": "custom.labels",
    },
    identify=(),
    kind="vcard",
)
