using Approvals.Core.Actions;

namespace Approvals.Core.Workflow;

/// <summary>What the time-boxed steps (<see cref="PrepareActionActivity"/>, <see cref="UndoActionActivity"/>) are given:
/// the action (by name), for whom, with which fields, when it was asked for, and the end of its time box.</summary>
public sealed record TimeBoxedActionInput(string InstanceId, string ActionName, string UserId, ActionParameters? Parameters, DateTimeOffset RequestedAt, DateTimeOffset? NotAfter = null)
{
    /// <summary>The run as the action sees it.</summary>
    public ActionRun Run() => new(InstanceId, UserId, Parameters ?? ActionParameters.None, RequestedAt, ActionCatalog.CredentialName(ActionName, InstanceId));

    /// <summary>The action's implementation; a permanent failure when this build has no such time-boxed action.</summary>
    public ITimeBoxedAction Action(IServiceProvider services) =>
        ActionCatalog.Find(ActionName) is not null && ActionCatalog.Resolve(services, ActionName) is ITimeBoxedAction action
            ? action
            : throw new PermanentActivityFailureException($"There is no time-boxed action '{ActionName}' in this build.");
}
