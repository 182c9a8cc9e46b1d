"""Rejected-row reasons, whole-file errors and column labels in the user's language."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

COLUMN_LABELS = {
    "": _l("Whole row"),
    "seq": _l("No."),
    "name": _l("Name"),
    "gender": _l("Gender"),
    "ethnicity": _l("Ethnicity"),
    "id_number": _l("ID number"),
    "village": _l("Village"),
    "phone": _l("Phone"),
    "poverty": _l("Poverty-registered"),
    "mobility": _l("Mobility"),
    "certificate_number": _l("Old certificate number"),
    "category": _l("Disability category"),
    "grade": _l("Disability grade"),
    "expires_on": _l("Valid until"),
    "suspected_category": _l("Suspected category"),
    "medical_records": _l("Medical records available"),
    "guardian_name": _l("Guardian's name"),
    "guardian_phone": _l("Guardian's phone"),
    "notes": _l("Notes"),
    "issued_on": _l("Issue date"),
    "township": _l("Township"),
}

REASONS = {
    "id_empty": _l("The ID number is missing."),
    "id_numeric": _l(
        "The ID number was typed as a number, so Excel kept only 15 digits and the last ones "
        "are lost. Format the column as text and type the number again."),
    "id_format": _l("The ID number may contain only digits and a final X."),
    "id_length": _l("The ID number must have 18 characters (or 15 for an old one)."),
    "id_area": _l("The ID number does not start with a valid area code."),
    "id_birth_date": _l("The birth date inside the ID number is not a real date."),
    "id_future_birth_date": _l("The birth date inside the ID number is in the future."),
    "id_check_digit": _l("The ID number's last character does not match: a digit was mistyped."),
    "name_missing": _l("The name is missing."),
    "name_invalid": _l("The name is not a valid name (too long, or digits only)."),
    "gender": _l("The gender must be 男 or 女."),
    "gender_mismatch": _l("The gender does not match the gender in the ID number."),
    "mobility": _l("Mobility must be 能出行, 行动不便 or 卧床."),
    "yes_no": _l("Write 是 or 否 here."),
    "category": _l("Unknown category: use 视力, 听力, 言语, 肢体, 智力, 精神 or 多重 (or 1–7)."),
    "grade": _l("The grade must be 一级, 二级, 三级 or 四级 (or 1–4)."),
    "date": _l("Not a date: write it as 2020-12-31."),
    "phone": _l("Not a phone number."),
    "certificate_numeric": _l(
        "The certificate number was typed as a number and lost its last digits. Format the "
        "column as text and type it again."),
    "certificate_number": _l("The certificate number may contain only digits and letters."),
    "ethnicity": _l("The ethnicity is too long."),
    "village": _l("The village name is too long."),
    "guardian_name": _l("The guardian's name is too long."),
    "notes": _l("The notes are too long (2,000 characters at most)."),
    "duplicate": _l("The same ID number is already in row %(row)s of this file; this row was "
                    "skipped."),
    # The same answer as the person form's (rosters.forms.NOT_REGISTRABLE): nothing about
    # the person or where they are registered.
    "elsewhere": _l("This ID number cannot be registered here. Please contact the city DPF "
                    "office."),
    "row_incomplete": _l("The row has neither a name nor an ID number."),
    # The register of holders (portal/register/importer.py).
    "certificate_missing": _l("The certificate number is missing."),
    "certificate_invalid": _l(
        "The certificate number is not valid: it must be the 18-character ID number followed "
        "by the category digit (1–7) and the grade digit (1–4)."),
    "certificate_id_mismatch": _l(
        "The certificate number does not begin with this row's ID number."),
    "certificate_category_mismatch": _l(
        "The category digit of the certificate number does not match the category column."),
    "certificate_grade_mismatch": _l(
        "The grade digit of the certificate number does not match the grade column."),
    "expiry_missing": _l("Neither the expiry date nor the issue date is given."),
    "issued_after_expiry": _l("The issue date is after the expiry date."),
    "township": _l("The township name is too long."),
    "township_unknown": _l("Unknown township: write the township's name as the portal lists "
                           "it."),
    "township_other": _l("This row belongs to another township: only this township's holders "
                         "can be imported here."),
    "township_missing": _l("The township is missing."),
}

# Rows skipped without being rejected, with a word to the user.
NOTES = {
    "footer": _l("Row %(row)s: signature or footer row, skipped."),
}

FILE_ERRORS = {
    "unreadable": _l("The file could not be read. It may be damaged: open it in Excel, save "
                     "it again as .xlsx and upload it again."),
    "empty_file": _l("The file is empty."),
    "old_xls": _l("This is an old Excel 97–2003 (.xls) file. Open it in Excel, choose "
                  "“Save as” → “Excel workbook (.xlsx)” and upload that file."),
    "not_xlsx": _l("This is not an Excel workbook (for example a CSV or text file renamed "
                   "to .xlsx). Save it from Excel as .xlsx and upload it again."),
    "empty": _l("The workbook has no filled-in sheet."),
    "no_header": _l("No header row was found in the first 15 rows. The list needs at least "
                    "the columns 姓名 and 公民身份号码; download the template to compare."),
    "missing_columns": _l("Required column missing: %(columns)s. Download the template to "
                          "compare."),
    "too_many_rows": _l("The file has more than %(max)s rows. Split it into smaller files."),
    "too_many_columns": _l("The sheet has more than %(max)s columns. A roster has about 15: "
                           "copy the list into the template and upload that file."),
    "too_large_unpacked": _l("The workbook unpacks to more than %(max)s MB, far more than a "
                             "roster needs. Copy the list into the template and upload that "
                             "file."),
    "no_rows": _l("The sheet has a header but no data rows."),
    "conflict": _l("The list was changed by someone else during the import. Nothing was "
                   "saved; please confirm the import again."),
    "failed": _l("The import failed. Nothing was saved; please try again."),
    "expired": _l("This upload was not confirmed within a day and was discarded."),
}


def reason_text(code: str, params: dict | None = None) -> str:
    """A rejected row's reason in the user's language."""
    message = REASONS.get(code) or FILE_ERRORS.get(code) or _l("Invalid value.")
    return str(message) % (params or {}) if params else str(message)


def note_text(row: int, code: str) -> str:
    """A skipped row's note in the user's language."""
    return str(NOTES.get(code, NOTES["footer"])) % {"row": row}


def file_error_text(code: str, params: dict | None = None) -> str:
    """A whole-file problem in the user's language."""
    message = FILE_ERRORS.get(code, FILE_ERRORS["failed"])
    return str(message) % (params or {}) if params else str(message)


def column_label(key: str) -> str:
    return str(COLUMN_LABELS.get(key, key))
