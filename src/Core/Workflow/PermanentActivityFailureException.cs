namespace Approvals.Core.Workflow;

/// <summary>A failure that retrying cannot fix (Indent said 4xx, the user does not exist, the petition is not
/// granted). Activity retry policies stop at this type.</summary>
public sealed class PermanentActivityFailureException(string message, Exception? inner = null) : Exception(message, inner);
