"""Google Contacts: "Google CSV" exports, in the current layout and the legacy one.

Export: https://support.google.com/contacts/answer/7199294 (import, which reads the same
file back: https://support.google.com/contacts/answer/1069522). Multi-valued fields
are numbered (``E-mail 1 - Value``, ``Phone 2 - Label``); a cell may hold several values
separated by " ::: ", and a label starting with "* " marks the primary value.

Current header, as a parser that refuses unknown columns spells it:
https://docs.rs/google-contacts-csv/0.1.0/src/google_contacts_csv/lib.rs.html
Legacy header ("Given Name", "Group Membership", "E-mail 1 - Type"...):
https://gist.github.com/janoamaral/30b3dac7961609715872e8c065406de3
Unverified: the legacy "Organization 1 - ..." columns past Name and Title.
"""

from clientbridge.importer.formats.base import ExportFormat

_NUMBERED = {
    "E-mail {n} - Value": "email*",
    "Phone {n} - Value": "phone*",
    "Address {n} - Formatted": "address.{n}.formatted",
    "Address {n} - Street": "address.{n}.line1",
    "Address {n} - Extended Address": "address.{n}.line2",
    "Address {n} - PO Box": "address.{n}.po_box",
    "Address {n} - City": "address.{n}.city",
    "Address {n} - Region": "address.{n}.region",
    "Address {n} - Postal Code": "address.{n}.postal_code",
    "Address {n} - Country": "address.{n}.country",
    "Website {n} - Value": "custom.website {n}",
    "Relation {n} - Value": "",
    "Event {n} - Value": "",
    "Custom Field {n} - Value": "",
    "IM {n} - Value": "",
}

GOOGLE_CONTACTS = ExportFormat(
    name="google-contacts",
    title="Google Contacts CSV",
    help_url="https://support.google.com/contacts/answer/7199294",
    columns={
        "First Name": "first_name",
        "Middle Name": "",
        "Last Name": "last_name",
        "Phonetic First Name": "",
        "Phonetic Middle Name": "",
        "Phonetic Last Name": "",
        "Name Prefix": "title",
        "Name Suffix": "",
        "Nickname": "",
        "File As": "",
        "Organization Name": "company_name",
        "Organization Title": "custom.job_title",
        "Organization Department": "custom.department",
        "Birthday": "custom.birthday",
        "Notes": "custom.notes",
        "Photo": "avatar_url",
        "Labels": "custom.labels",
        "E-mail {n} - Label": "email*label",
        "Phone {n} - Label": "phone*label",
        "Address {n} - Label": "address.{n}.label",
        "Website {n} - Label": "",
        "Relation {n} - Label": "",
        "Event {n} - Label": "",
        "Custom Field {n} - Label": "",
        "IM {n} - Label": "",
        **_NUMBERED,
    },
    identify=("E-mail 1 - Label", "Phone 1 - Label", "Organization Name", "Phonetic First Name"),
)

GOOGLE_CONTACTS_LEGACY = ExportFormat(
    name="google-contacts-legacy",
    title="Google Contacts CSV (legacy layout)",
    help_url="https://support.google.com/contacts/answer/7199294",
    columns={
        "Name": "name",
        "Given Name": "first_name",
        "Additional Name": "",
        "Family Name": "last_name",
        "Yomi Name": "",
        "Given Name Yomi": "",
        "Additional Name Yomi": "",
        "Family Name Yomi": "",
        "Name Prefix": "title",
        "Name Suffix": "",
        "Initials": "",
        "Nickname": "",
        "Short Name": "",
        "Maiden Name": "",
        "Birthday": "custom.birthday",
        "Gender": "",
        "Location": "",
        "Billing Information": "",
        "Directory Server": "",
        "Mileage": "",
        "Occupation": "custom.occupation",
        "Hobby": "",
        "Sensitivity": "",
        "Priority": "",
        "Subject": "",
        "Notes": "custom.notes",
        "Language": "",
        "Photo": "avatar_url",
        "Group Membership": "custom.labels",
        "E-mail {n} - Type": "email*label",
        "Phone {n} - Type": "phone*label",
        "Address {n} - Type": "address.{n}.label",
        "Organization {n} - Type": "",
        "Organization {n} - Name": "company_name",
        "Organization {n} - Yomi Name": "",
        "Organization {n} - Title": "custom.job_title",
        "Organization {n} - Department": "custom.department",
        "Organization {n} - Symbol": "",
        "Organization {n} - Location": "",
        "Organization {n} - Job Description": "",
        "Website {n} - Type": "",
        "Relation {n} - Type": "",
        "Event {n} - Type": "",
        "Custom Field {n} - Type": "",
        "IM {n} - Type": "",
        "IM {n} - Service": "",
        **_NUMBERED,
    },
    identify=("Given Name", "Family Name", "E-mail 1 - Type", "Group Membership"),
)
