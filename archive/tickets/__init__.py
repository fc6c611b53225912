"""The 作业票 at the work face: a ticket applied for, prepared, gas-tested, approved, checked, worked
and accepted on a phone, one signed step at a time (GB 30871—2022).

    lifecycle.py   the steps, their order, who may sign each, identification, signing a step (a new
                   sealed version of the ticket that supersedes the one before), the lists
    capture.py     what a phone hands in: the signature PNG (not blank) and photos (EXIF time, GPS)
    measures.py    the safety measures each type's form lists, to tick on the phone
"""
