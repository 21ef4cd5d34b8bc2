import Testing
@testable import Retention
