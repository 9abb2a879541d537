// The one translation unit that compiles Asio, Asio's TLS support and Beast (separate
// compilation keeps every other file that does I/O quick to build).
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
