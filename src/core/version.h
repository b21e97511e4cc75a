/*
** version.h: the module's version string. VERSION at the root of the
** repository is the one source; tools/version-sync.sh writes this copy
** (and the versioned rockspec), and tools/version-check.sh fails the
** lint when they disagree.
*/
#ifndef CA_VERSION_H
#define CA_VERSION_H

#define CA_VERSION "0.2.0"

#endif
