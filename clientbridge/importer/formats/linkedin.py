"""LinkedIn: your connections, exported as Connections.csv (Settings → Data privacy →
Get a copy of your data → Connections).

Export: https://www.linkedin.com/help/linkedin/answer/a566336 — a connection's first and
last name, email address (only when they allow it), current company and position, and
the date you connected; the file also has the profile URL. The file starts with a few
lines of notes about missing email addresses above its header (the header row is found
below them). Position is the job title; the connection date and URL are LinkedIn's own.
"""

from clientbridge.importer.formats.base import ExportFormat

LINKEDIN = ExportFormat(
    name="linkedin",
    title="LinkedIn connections export",
    help_url="https://www.linkedin.com/help/linkedin/answer/a566336",
    columns={
        "First Name": "first_name",
        "Last Name": "last_name",
        "Email Address": "email*primary",
        "Company": "company_name",
        "Position": "custom.job_title",
        "URL": "custom.linkedin",
        "Connected On": "",
    },
    identify=("Connected On",),
)
