"""三级安全教育考试: the exam a worker takes on a phone, and its result written into the 登记卡.

    bank.py    question banks: validate, install (kept by SHA-256), the current bank of a level
    exam.py    an attempt's life: arrange (random draw, seeded and recorded), start (the server's
               clock starts), save answers, submit or time out (the server keeps the time), score,
               the worker's signed confirmation; the latest results the admission rule reads
    card.py    the 三级安全教育登记卡 written from a worker's three passed and signed exams: a sealed
               training_record whose levels carry each exam (schemas.training.ExamResult) and whose
               trainee signatures are the PNGs signed on the phone (their hashes in the seal)

The server is the time keeper: an attempt's deadline is its start plus ``settings.exam_minutes``
by ``archive.clock``; an answer or a submission that reaches the server after the deadline (plus
``exam_grace_seconds``) is not taken: the attempt closes as timed out, scored on the answers saved
before the deadline, and does not pass. A worker has one attempt under way at a time (the catalog
refuses a second). The pass mark is ``settings.training_pass_score``, the same the card's rule uses.
"""
