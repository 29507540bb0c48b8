// DownloadTests: tests beside the capability.
