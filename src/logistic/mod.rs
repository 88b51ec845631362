//! (module under construction; see the issue tracker)
