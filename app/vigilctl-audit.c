/* placeholder */
#include "vigilctl.h"
int vigilctl_audit_main (int argc, char **argv) { return 2; }
