"""Mailchimp: an audience exported to CSV (Audience → All contacts → Export Audience).

Export: https://mailchimp.com/help/view-export-contacts/ — one CSV per status
(subscribed, unsubscribed, cleaned), each with the audience's fields followed by the
columns Mailchimp adds itself (MEMBER_RATING, OPTIN_TIME, OPTIN_IP, CONFIRM_TIME,
CONFIRM_IP, LATITUDE, LONGITUDE, GMTOFF, DSTOFF, TIMEZONE, CC, REGION, LAST_CHANGED,
LEID, EUID, NOTES, TAGS, and UNSUB_* / CLEAN_* in those files). A new audience's
default fields are Email Address, First Name, Last Name, Address, Phone Number and
Birthday: https://mailchimp.com/help/manage-audience-signup-form-fields/ . The Address
field is one column whose parts (street, second line, city, state, postcode, country)
are separated by two spaces, as public importers of these exports read it (unverified
on a sample file). CC and REGION are where the subscriber was seen from, not their
address: they hold no client data. The merge tags FNAME and LNAME (an audience's field
tags, https://mailchimp.com/help/all-the-merge-tags-cheat-sheet/) are read as the names.
"""

from clientbridge.importer.formats.base import ExportFormat

MAILCHIMP = ExportFormat(
    name="mailchimp",
    title="Mailchimp audience export",
    help_url="https://mailchimp.com/help/view-export-contacts/",
    columns={
        "Email Address": "email*primary",
        "First Name": "first_name",
        "Last Name": "last_name",
        "FNAME": "first_name",
        "LNAME": "last_name",
        "Address": "address.main.spaced",
        "Phone Number": "phone*primary",
        "Birthday": "custom.birthday",
        "Company": "company_name",
        "NOTES": "custom.notes",
        "MEMBER_RATING": "",
        "OPTIN_TIME": "",
        "OPTIN_IP": "",
        "CONFIRM_TIME": "",
        "CONFIRM_IP": "",
        "LATITUDE": "",
        "LONGITUDE": "",
        "GMTOFF": "",
        "DSTOFF": "",
        "TIMEZONE": "",
        "CC": "",
        "REGION": "",
        "LAST_CHANGED": "",
        "LEID": "",
        "EUID": "",
        "TAGS": "",
    },
    identify=("MEMBER_RATING", "OPTIN_TIME", "LEID", "EUID", "CONFIRM_TIME"),
    not_client_data=(
        "unsub_*",
        "clean_*",
        "sms_*",
        "marketing_*",
        "*permissions*",
        "gdpr*",
        "confirm_*",
        "optin_*",
        "email marketing*",
        "status",
    ),
)
