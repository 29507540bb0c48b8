// Training: module under construction; see the README of this target.
