"""Signals: the one way a case is born. `/churn cancel|risk`, the new-case modal, the message
shortcut, watched channels (a *prompt* in the thread, or an integration bot) and the signals
webhook all open cases through the one `SignalService` in `Services`."""
