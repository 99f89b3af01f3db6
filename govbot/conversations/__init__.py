"""The conversation core: what happens to a conversation, whatever the channel.

A conversation is `bot` (Rasa answers), `waiting` (handed to a person, in a department's queue)
or `human` (an operator holds it). Every channel calls `Conversations.turn`; the operators'
console calls its transitions. Modules: `turn.py` (a citizen turn: gate, masking, Rasa,
transcript), `transitions.py` (claim, say, release, transfer), `queue.py` (position, office
hours, leaving a message), `routing.py` (the department of a conversation, decided in one place),
`rasa.py` (the Rasa server over HTTP), `replies.py` (typed replies shared with the actions),
`changes.py` (waking the listeners of a conversation). The transcripts are kept by
`govbot.records`.

Import from the modules (`govbot.conversations.core.Conversations`): `govbot.records` uses
`changes.py`, so this package imports nothing when it loads.
"""
