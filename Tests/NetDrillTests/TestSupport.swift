import Foundation
import NetDrillTestSupport
import Testing

// Paths, privileges, the process runner and temporary files come from NetDrillTestSupport.
