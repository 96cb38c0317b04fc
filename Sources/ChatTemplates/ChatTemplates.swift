// ChatTemplates module (in progress)
