# CPack: the Debian packages (written by the packaging work of issue 13).
