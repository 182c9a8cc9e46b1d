"""What /info says until the city administrator writes the county's own text (Markdown).
The concentrated days and the hotline are not in it: the page adds them from the campaign's
schedule and the hotline field."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

TITLE = _l("Disability certificates: who may apply and how")
SUMMARY = _l("The certificate is free. Who may apply, the steps, what to bring, this week's "
             "assessment days, home visits and video assessment, and whom to call.")

SECTIONS = (
    _l("## What the certificate is for\n\n"
       "The disability certificate (残疾人证) shows that a person has a lasting disability, "
       "and of which category and grade. With it, the person can receive the help the state "
       "and the county give to disabled people: living and nursing allowances, "
       "rehabilitation, assistive devices, help with school and work, and concessions in "
       "daily life. Applying is voluntary."),
    _l("## Categories and grades\n\n"
       "There are seven categories: **vision**, **hearing**, **speech**, **physical** (arms, "
       "legs, spine), **intellectual**, **mental**, and **multiple** (more than one). Each "
       "has four grades: grade 1 is the most severe and grade 4 the mildest. A certified "
       "doctor decides the grade by the national standard: for sight, how well the better "
       "eye sees with glasses; for hearing, how loud a sound the better ear hears; for the "
       "body, what the person can do in daily life without help."),
    _l("## Who may apply\n\n"
       "- Anyone, of any age, whose household is registered in the county and who has a "
       "lasting disability.\n"
       "- A guardian or agent applies for a child, and for a person with an intellectual or "
       "mental disability.\n"
       "- A certificate is valid for 10 years: renew it when it expires. If the disability "
       "has changed, ask for a new assessment."),
    _l("## Step by step\n\n"
       "1. Apply at your township's disabled persons' federation (乡镇残联), or tell your "
       "village committee.\n"
       "2. Go to the assessment at a designated hospital on your township's concentrated "
       "day (see the dates on this page), or ask for a home visit or a video assessment if "
       "you cannot travel.\n"
       "3. A certified doctor assesses you and records the category and grade.\n"
       "4. The result is posted in your village for 5 working days (公示). Anyone may "
       "object during that time.\n"
       "5. The city disabled persons' federation reviews it within 10 working days.\n"
       "6. The certificate is printed and handed to you or your guardian at the township: "
       "bring your ID card.\n\n"
       "If the result is that you do not qualify, you are told why, and you may ask the "
       "city for a new assessment within 10 working days."),
    _l("## What to bring\n\n"
       "- ID card and household register (户口本)\n"
       "- three recent 2-inch photos on a white background\n"
       "- medical records and hospital reports, if you have them\n"
       "- the old certificate, when you renew it\n"
       "- for a child, or a person with an intellectual or mental disability: the "
       "guardian's ID card and household register"),
    _l("## Fees\n\n"
       "**None.** The certificate and its renewal are free, and the campaign pays for the "
       "assessment. Nobody may ask you for money or a gift for a certificate; a certificate "
       "obtained through connections is forbidden. Report it to the hotline below."),
    _l("## Home visit or video assessment\n\n"
       "If the person cannot travel (bedridden, or severely disabled), tell the township "
       "disabled persons' federation or your village liaison. Doctors come to the home on a "
       "booked day, or assess by video call on the guardian's phone. The township calls you "
       "to agree the time."),
    _l("## Objections and petitions\n\n"
       "While a village's results are posted (5 working days), anyone who believes a result "
       "is wrong may object: scan the QR code on the notice, or tell the township disabled "
       "persons' federation in writing, by phone or in person. The township checks every "
       "objection before the result goes on.\n\n"
       "For any other complaint about the certificate work you may petition (信访): at the "
       "city disabled persons' federation, by letter, by phone, or through the 12345 "
       "government hotline."),
)


def default_markdown() -> str:
    """The default text, in the reader's language."""
    return "\n\n".join(str(section) for section in SECTIONS)
