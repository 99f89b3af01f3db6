"""Dispatch (派单): which department of the directory owns what a caller or citizen says.

`model.py`: a multinomial logistic regression over the text's character n-grams and its e5 vector
(the reader's asked-field machinery, `knowledge.reader.asked.AskedField`), one class per
directory entry plus `none` (greetings, thanks: no department), with a temperature fitted on other
writers' texts so that its probability is calibrated, and a threshold under which the case goes to
the hotline centre with the likeliest candidates. `train.py`: learned from team-written texts in
operators' and citizens' voices (`data/dispatch/train`) and the directory's own duties (its
`handles` clauses). `decide.py`: the model's classes read against the published directory.
Design note: docs/dispatch.md.
"""
