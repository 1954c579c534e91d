// The staff UI's small progressive enhancement; every page works without it.
"use strict";
