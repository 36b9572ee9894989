using System.Text.Json;
using Approvals.Core.Workflow;
using DurableTask.Core;
using DurableTask.Core.Command;
using DurableTask.Core.Exceptions;
using DurableTask.Core.History;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Abstractions;
using Microsoft.DurableTask.Worker;
using Microsoft.DurableTask.Worker.Shims;
using Microsoft.Extensions.Logging.Abstractions;

namespace Approvals.Core.Tests.Workflow.Replay;

/// <summary>What a replay found: nothing wrong (<see cref="Problem"/> null), or the first way today's orchestrator
/// parted from the recorded history. <see cref="Steps"/> lists what the orchestrator asked for beyond the history.</summary>
public sealed record ReplayVerdict(string? Problem, IReadOnlyList<string> Steps)
{
    public bool Matches => Problem is null;
}

/// <summary>Replays a recorded history against today's orchestrator as the durable worker does after a deploy: the
/// durabletask-dotnet worker's own shim around the orchestrator (<see cref="DurableTaskShimFactory"/>) run by
/// DurableTask.Core's <see cref="TaskOrchestrationExecutor"/> over the recorded events — the code that raises a
/// nondeterminism error in Azure. That executor compares, by sequence id, every activity, timer, sub-orchestration and
/// sent event the history recorded with what the orchestrator asks for (kind and name). Two checks stricter than the
/// runtime's are added: a history cut at a waiting point must leave the orchestrator asking for nothing new (the runtime
/// would quietly schedule an extra step), and a finished history must finish the same way (status, and every field of
/// the recorded result). External-event waits are not in a history, so they are compared only through what follows
/// them. Before replaying, the worker's version rule is applied: a version newer than <see cref="WorkflowVersions.Current"/>
/// is not run here.</summary>
public static class HistoryReplayer
{
    /// <summary>Replays the first <paramref name="eventCount"/> events of <paramref name="fixture"/> (all by default)
    /// against the orchestrator the history names, or the one <paramref name="orchestrator"/> supplies.</summary>
    public static ReplayVerdict Replay(ReplayFixture fixture, int? eventCount = null, ITaskOrchestrator? orchestrator = null)
    {
        ArgumentNullException.ThrowIfNull(fixture);
        if (TaskOrchestrationVersioningUtils.CompareVersions(fixture.Version, WorkflowVersions.Current) > 0)
        {
            return new($"version '{fixture.Version}' is newer than this build's {WorkflowVersions.Current}: the worker leaves it for a newer one", []);
        }

        var events = fixture.ToCore(eventCount);
        var recordedEnd = events.LastOrDefault(e => e is ExecutionCompletedEvent);
        var implementation = orchestrator ?? Create(fixture.Orchestrator);
        var shim = new DurableTaskShimFactory(new DurableTaskWorkerOptions(), NullLoggerFactory.Instance)
            .CreateOrchestration(new TaskName(fixture.Orchestrator), implementation, parent: null);
        var executor = new TaskOrchestrationExecutor(new OrchestrationRuntimeState(events), shim, BehaviorOnContinueAsNew.Carryover, ErrorPropagationMode.UseFailureDetails);
        var actions = executor.Execute().Actions.ToList();
        var steps = actions.Select(Describe).ToList();

        if (actions.OfType<OrchestrationCompleteOrchestratorAction>().FirstOrDefault(a => IsNondeterminism(a.FailureDetails)) is { } nondeterministic)
        {
            return new("nondeterminism: " + nondeterministic.FailureDetails!.ErrorMessage, steps);
        }

        if (recordedEnd is null)
        {
            return actions.Count == 0
                ? new(null, steps)
                : new("at this waiting point the history promised no further step, but the orchestrator asked for: " + string.Join("; ", steps), steps);
        }

        var recorded = (ExecutionCompletedEvent)recordedEnd;
        var end = actions.OfType<OrchestrationCompleteOrchestratorAction>().ToList();
        if (actions.Count != 1 || end.Count != 1)
        {
            return new($"the history ended {recorded.OrchestrationStatus}, but the orchestrator asked for: " + (steps.Count == 0 ? "nothing (it is still waiting)" : string.Join("; ", steps)), steps);
        }

        if (end[0].OrchestrationStatus != recorded.OrchestrationStatus)
        {
            return new($"the history ended {recorded.OrchestrationStatus}, the replay {end[0].OrchestrationStatus}: {end[0].FailureDetails?.ErrorMessage ?? end[0].Result}", steps);
        }

        return SameResult(recorded.Result, end[0].Result) is { } difference ? new(difference, steps) : new(null, steps);
    }

    /// <summary>Replays <paramref name="fixture"/> one orchestrator episode at a time and compares, step by step, what
    /// today's orchestrator asks for in each episode with what that episode recorded: the same kind (activity, timer,
    /// sub-orchestration, sent event, end) at the same sequence id, the same activity name, the same timer due time, the
    /// same end — stricter than the runtime, which does not compare timers' due times (two timers swapped pass there).
    /// Each episode is replayed from the history before it plus the events it received (completions, fired timers,
    /// raised events), so the orchestrator's new steps come back from the executor to be compared.</summary>
    public static ReplayVerdict ReplaySteps(ReplayFixture fixture, ITaskOrchestrator? orchestrator = null)
    {
        ArgumentNullException.ThrowIfNull(fixture);
        var events = fixture.Events;
        var start = 0;
        while ((start = IndexOf(events, nameof(EventType.OrchestratorStarted), start)) >= 0)
        {
            var end = IndexOf(events, nameof(EventType.OrchestratorCompleted), start);
            end = end < 0 ? events.Count : end;
            var episode = events.Skip(start + 1).Take(end - start - 1).ToList();
            var recorded = episode.Where(IsStep).ToList();
            var received = episode.Where(e => !IsStep(e)).ToList();
            var replayed = Run(fixture with { Events = [.. events.Take(start + 1), .. received] }, orchestrator);
            var steps = replayed.Select(Describe).ToList();
            if (replayed.OfType<OrchestrationCompleteOrchestratorAction>().FirstOrDefault(a => IsNondeterminism(a.FailureDetails)) is { } nondeterministic)
            {
                return new($"episode at event {start + 1}: nondeterminism: " + nondeterministic.FailureDetails!.ErrorMessage, steps);
            }

            var ordered = replayed.OrderBy(a => a is OrchestrationCompleteOrchestratorAction ? int.MaxValue : a.Id).ToList();
            for (var i = 0; i < Math.Max(ordered.Count, recorded.Count); i++)
            {
                var mine = i < ordered.Count ? ordered[i] : null;
                var theirs = i < recorded.Count ? recorded[i] : null;
                if (Differs(mine, theirs) is { } difference)
                {
                    return new($"episode at event {start + 1}, step {i + 1}: the history recorded {Describe(theirs)}, the orchestrator asked for {(mine is null ? "nothing" : Describe(mine))} ({difference})", steps);
                }
            }

            start = end;
        }

        return new(null, []);
    }

    static int IndexOf(IReadOnlyList<RecordedEvent> events, string type, int from)
    {
        for (var i = from; i < events.Count; i++)
        {
            if (events[i].Type == type)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>An event the orchestrator's own request wrote (a step), as opposed to one it received.</summary>
    static bool IsStep(RecordedEvent e) => e.Type is nameof(EventType.TaskScheduled) or nameof(EventType.TimerCreated)
        or nameof(EventType.SubOrchestrationInstanceCreated) or nameof(EventType.EventSent)
        or nameof(EventType.ExecutionCompleted) or nameof(EventType.ContinueAsNew);

    static List<OrchestratorAction> Run(ReplayFixture fixture, ITaskOrchestrator? orchestrator)
    {
        var shim = new DurableTaskShimFactory(new DurableTaskWorkerOptions(), NullLoggerFactory.Instance)
            .CreateOrchestration(new TaskName(fixture.Orchestrator), orchestrator ?? Create(fixture.Orchestrator), parent: null);
        var executor = new TaskOrchestrationExecutor(new OrchestrationRuntimeState(fixture.ToCore()), shim, BehaviorOnContinueAsNew.Carryover, ErrorPropagationMode.UseFailureDetails);
        return [.. executor.Execute().Actions];
    }

    /// <summary>Why a replayed step is not the recorded one; null when it is.</summary>
    static string? Differs(OrchestratorAction? mine, RecordedEvent? theirs) => (mine, theirs) switch
    {
        (null, null) => null,
        (null, _) => "a step missing",
        (_, null) => "a step the history does not have",
        (ScheduleTaskOrchestratorAction a, { Type: nameof(EventType.TaskScheduled) } e) =>
            a.Id != e.EventId ? "another sequence id" : !string.Equals(a.Name, e.Name, StringComparison.OrdinalIgnoreCase) ? "another activity" : null,
        (CreateTimerOrchestratorAction t, { Type: nameof(EventType.TimerCreated) } e) =>
            t.Id != e.EventId ? "another sequence id" : t.FireAt != e.FireAt ? "another due time" : null,
        (CreateSubOrchestrationAction s, { Type: nameof(EventType.SubOrchestrationInstanceCreated) } e) =>
            s.Id != e.EventId ? "another sequence id" : !string.Equals(s.Name, e.Name, StringComparison.OrdinalIgnoreCase) ? "another sub-orchestration" : null,
        (SendEventOrchestratorAction s, { Type: nameof(EventType.EventSent) } e) =>
            s.Id != e.EventId ? "another sequence id" : !string.Equals(s.EventName, e.Name, StringComparison.OrdinalIgnoreCase) ? "another event" : null,
        (OrchestrationCompleteOrchestratorAction c, { Type: nameof(EventType.ExecutionCompleted) or nameof(EventType.ContinueAsNew) } e) =>
            c.OrchestrationStatus.ToString() != (e.Status ?? nameof(OrchestrationStatus.ContinuedAsNew)) ? "another end" : SameResult(e.Result, c.Result),
        _ => "another kind of step",
    };

    static string Describe(RecordedEvent? e) => e switch
    {
        null => "nothing",
        { Type: nameof(EventType.TaskScheduled) } => $"activity {e.Name} (#{e.EventId})",
        { Type: nameof(EventType.TimerCreated) } => $"timer at {e.FireAt:O} (#{e.EventId})",
        { Type: nameof(EventType.ExecutionCompleted) or nameof(EventType.ContinueAsNew) } => $"end: {e.Status ?? e.Type}",
        _ => $"{e.Type} {e.Name} (#{e.EventId})",
    };

    /// <summary>Today's orchestrator of that name, from the one task list both hosts register.</summary>
    public static ITaskOrchestrator Create(string name) =>
        (ITaskOrchestrator)Activator.CreateInstance(
            ApprovalsTasks.Orchestrators.SingleOrDefault(t => t.Name == name) ?? throw new InvalidOperationException($"No orchestrator named {name} in ApprovalsTasks."))!;

    static bool IsNondeterminism(FailureDetails? failure) =>
        failure?.ErrorType?.Contains(nameof(NonDeterministicOrchestrationException), StringComparison.Ordinal) == true;

    /// <summary>Every field the recorded result has must have the same value in the replayed one (the replay may add
    /// fields a newer result type has).</summary>
    static string? SameResult(string? recorded, string? replayed)
    {
        if (recorded is null)
        {
            return null;
        }

        using var expected = JsonDocument.Parse(recorded);
        using var actual = JsonDocument.Parse(replayed ?? "null");
        return Difference("result", expected.RootElement, actual.RootElement);
    }

    static string? Difference(string path, JsonElement expected, JsonElement actual)
    {
        if (expected.ValueKind == JsonValueKind.Object && actual.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in expected.EnumerateObject())
            {
                var there = actual.TryGetProperty(property.Name, out var value) ? value : default;
                if (Difference(path + "." + property.Name, property.Value, there) is { } found)
                {
                    return found;
                }
            }

            return null;
        }

        return expected.ValueKind == actual.ValueKind && expected.GetRawText() == actual.GetRawText()
            ? null
            : $"the recorded {path} was {expected.GetRawText()}, the replay's is {(actual.ValueKind == JsonValueKind.Undefined ? "missing" : actual.GetRawText())}";
    }

    static string Describe(OrchestratorAction action) => action switch
    {
        ScheduleTaskOrchestratorAction a => $"activity {a.Name} (#{a.Id})",
        CreateTimerOrchestratorAction t => $"timer at {t.FireAt:O} (#{t.Id})",
        CreateSubOrchestrationAction s => $"sub-orchestration {s.Name} (#{s.Id})",
        SendEventOrchestratorAction e => $"event {e.EventName} sent (#{e.Id})",
        OrchestrationCompleteOrchestratorAction c => $"end: {c.OrchestrationStatus}",
        _ => action.GetType().Name,
    };
}
