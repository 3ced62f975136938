/* placeholder: being written */
#include "vigilctl.h"
int vigilctl_identity_main (int argc, char **argv) { return 2; }
