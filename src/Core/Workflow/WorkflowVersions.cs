using Microsoft.DurableTask;
using Microsoft.DurableTask.Abstractions;

namespace Approvals.Core.Workflow;

/// <summary>Orchestration versions (Durable Functions' orchestration versioning): every instance is started with
/// <see cref="Current"/> and keeps that version for life, through restarts, deploys and continue-as-new; an orchestrator
/// whose steps change branches on <c>context.Version</c> and keeps the old branch, unchanged, for as long as an instance of
/// that version can still be running (README, "Upgrading"). Workers take instances of their version or older and leave
/// newer ones for a newer worker (<c>CurrentOrOlder</c>, <c>Reject</c>): host.json for the Functions app,
/// <see cref="WorkerOptions"/> for the local host.</summary>
public static class WorkflowVersions
{
    /// <summary>The version new instances get, and the worker's own: host.json's <c>defaultVersion</c> must say the same
    /// (a test compares them). Raise it, in a new version branch, whenever an orchestrator's steps change.</summary>
    public const string Current = "1.1";

    /// <summary>The first version (commit da2fe5a): the access time box from the add, no access ledger.</summary>
    public const string First = "1.0";

    /// <summary>Instances started before versions existed (commit 6f7c4c4 and earlier) carry no version; they take the
    /// same steps as 1.0.</summary>
    public const string Unversioned = "";

    /// <summary>Every version this build still has the steps of, oldest first. Replay fixtures exist for each (a test
    /// keeps the two lists equal); a version leaves this list only once no instance of it is left.</summary>
    public static readonly IReadOnlyList<string> Supported = [Unversioned, First, Current];

    /// <summary>True when the instance's version is <paramref name="version"/> or newer (an unversioned one is older than
    /// every version). Fixed for the instance's life, so a branch on it is deterministic.</summary>
    public static bool IsAtLeast(TaskOrchestrationContext context, string version)
    {
        ArgumentNullException.ThrowIfNull(context);
        return !string.IsNullOrEmpty(context.Version) && TaskOrchestrationVersioningUtils.CompareVersions(context.Version, version) >= 0;
    }

    /// <summary>True when <paramref name="version"/> is one this build can run.</summary>
    public static bool IsSupported(string? version) =>
        Supported.Any(v => TaskOrchestrationVersioningUtils.CompareVersions(v, version ?? Unversioned) == 0);

    /// <summary>Stops an instance whose version this build no longer has the steps of, before it takes a step its
    /// history never promised: the instance fails with a message naming the version (deterministically: the version is
    /// fixed for the instance's life). The worker already refuses versions newer than <see cref="Current"/>.</summary>
    public static void Require(TaskOrchestrationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!IsSupported(context.Version))
        {
            throw new NotSupportedException(
                $"Orchestration version '{context.Version}' is not one this build runs ({string.Join(", ", Supported.Select(Describe))}); deploy a build that still has it.");
        }
    }

    /// <summary>A version as people read it: the unversioned one is named so.</summary>
    public static string Describe(string? version) => string.IsNullOrEmpty(version) ? "unversioned" : version;

    /// <summary>The local host's worker: the same version, match and failure strategy as host.json gives the Functions app.</summary>
    public static Microsoft.DurableTask.Worker.DurableTaskWorkerOptions.VersioningOptions WorkerOptions() => new()
    {
        Version = Current,
        DefaultVersion = Current,
        MatchStrategy = Microsoft.DurableTask.Worker.DurableTaskWorkerOptions.VersionMatchStrategy.CurrentOrOlder,
        FailureStrategy = Microsoft.DurableTask.Worker.DurableTaskWorkerOptions.VersionFailureStrategy.Reject,
    };
}
