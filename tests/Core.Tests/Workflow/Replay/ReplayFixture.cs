using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using DurableTask.Core;
using Approvals.Core.Workflow;
using DurableTask.Core.History;

namespace Approvals.Core.Tests.Workflow.Replay;

/// <summary>One orchestration's durable history as a real run stored it (the task hub's History table on Azure Storage),
/// kept as a test fixture: every event in order, with the inputs and results the orchestrator reads back on replay.
/// Failure stack traces are left out (nothing replays them); nothing else is changed.</summary>
public sealed record ReplayFixture(
    string Scenario,
    string Description,
    string RecordedFrom,
    string Backend,
    DateTimeOffset RecordedAt,
    string Orchestrator,
    string Version,
    string InstanceId,
    IReadOnlyList<RecordedEvent> Events)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        // Payloads stay readable in the file (quotes as \", not \u0022); these files are never served to a browser.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static ReplayFixture Read(string path) =>
        JsonSerializer.Deserialize<ReplayFixture>(File.ReadAllText(path), Json) ?? throw new InvalidDataException(path + " is empty.");

    public string ToJson() => JsonSerializer.Serialize(this, Json) + "\n";

    /// <summary>The history as DurableTask.Core events, the first <paramref name="count"/> of them (all by default).</summary>
    public List<HistoryEvent> ToCore(int? count = null) => [.. Events.Take(count ?? Events.Count).Select(e => e.ToCore(InstanceId))];

    public const string AwaitingDecision = "awaiting the decision";
    public const string BetweenGrantAndAction = "between grant and action";
    public const string AccessActive = "access active";
    public const string Finished = "finished";
    public const string InAStep = "in a step";

    /// <summary>Every point at which the stored history stopped growing for a while — the end of each orchestrator episode
    /// (what a task hub holds while the instance waits, and what a deploy replays) — with what it was waiting for:
    /// <see cref="AwaitingDecision"/> (the petition exists; timers, events, or reads that find it open, pending),
    /// <see cref="BetweenGrantAndAction"/> (a read that finds the grant, or the action itself, in flight),
    /// <see cref="AccessActive"/> (the membership added, its removal not yet scheduled), <see cref="Finished"/>, or
    /// <see cref="InAStep"/> (creating or closing the petition, removing the membership).</summary>
    public IReadOnlyList<(int Count, string Point)> WaitingPoints()
    {
        var points = new List<(int, string)>();
        for (var i = 0; i < Events.Count; i++)
        {
            if (Events[i].Type == nameof(EventType.OrchestratorCompleted))
            {
                points.Add((i + 1, PointAt(i + 1)));
            }
        }

        return points;
    }

    string PointAt(int count)
    {
        var prefix = Events.Take(count).ToList();
        if (prefix.Any(e => e.Type == nameof(EventType.ExecutionCompleted)))
        {
            return Finished;
        }

        var scheduled = prefix.Where(e => e.Type == nameof(EventType.TaskScheduled)).ToDictionary(e => e.EventId);
        var done = prefix.Where(e => e.Type is nameof(EventType.TaskCompleted) or nameof(EventType.TaskFailed)).Select(e => e.TaskScheduledId!.Value).ToHashSet();
        var pending = scheduled.Values.Where(e => !done.Contains(e.EventId)).ToList();
        var finished = scheduled.Values.Where(e => done.Contains(e.EventId)).Select(e => e.Name).ToList();
        // A time-boxed action on the generic orchestrator: recorded (PrepareActionActivity), acted (RunActionActivity), undone.
        var timeBoxed = scheduled.Values.Any(e => e.Name is nameof(PrepareActionActivity));
        if (finished.Contains(nameof(AddGroupMemberActivity)) || finished.Contains(nameof(GrantAccessActivity)) || (timeBoxed && finished.Contains(nameof(RunActionActivity))))
        {
            // The membership is in place (a read of the petition may be in flight): until its removal is scheduled.
            return scheduled.Values.Any(e => e.Name is nameof(RemoveGroupMemberActivity) or nameof(EndAccessActivity) or nameof(UndoActionActivity)) ? InAStep : AccessActive;
        }

        if (pending.Any(e => e.Name is nameof(AddGroupMemberActivity) or nameof(GrantAccessActivity) or nameof(RecordAccessGrantActivity) or nameof(ResetPasswordActivity)
            or nameof(PrepareActionActivity) or nameof(RunActionActivity) || FindsGrant(e)))
        {
            return BetweenGrantAndAction;
        }

        // The petition exists and nothing but reads of it (finding it open) are in flight.
        return finished.Contains(nameof(CreatePetitionActivity)) && pending.All(e => e.Name is nameof(GetPetitionActivity) or nameof(VerifyAndResetActivity) or nameof(VerifyAndActActivity))
            ? AwaitingDecision
            : InAStep;
    }

    /// <summary>True for a petition read whose result (later in the history) found the petition granted.</summary>
    bool FindsGrant(RecordedEvent scheduled)
    {
        if (scheduled.Name is not (nameof(GetPetitionActivity) or nameof(VerifyAndResetActivity) or nameof(VerifyAndActActivity)))
        {
            return false;
        }

        var result = Events.FirstOrDefault(e => e.Type == nameof(EventType.TaskCompleted) && e.TaskScheduledId == scheduled.EventId)?.Result;
        if (result is null)
        {
            return false;
        }

        using var document = JsonDocument.Parse(result);
        var petition = Property(document.RootElement, "petition") ?? document.RootElement;
        return Property(petition, "phase") is { ValueKind: JsonValueKind.String } phase && phase.GetString() == Approvals.Core.Indent.IndentPhases.Granted;
    }

    static JsonElement? Property(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.EnumerateObject().FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)) is { Value.ValueKind: not JsonValueKind.Undefined } found
            ? found.Value
            : null;
}

/// <summary>A failure as the history records it (error type, message, whether retrying can help), without its stack.</summary>
public sealed record RecordedFailure(string? ErrorType, string? ErrorMessage, bool IsNonRetriable = false, RecordedFailure? Inner = null)
{
    public FailureDetails ToCore() => new(ErrorType ?? "", ErrorMessage ?? "", null, Inner?.ToCore(), IsNonRetriable);

    public static RecordedFailure? FromStored(JsonElement e) =>
        e.ValueKind != JsonValueKind.Object ? null : new(
            Text(e, "ErrorType"), Text(e, "ErrorMessage"),
            e.TryGetProperty(nameof(FailureDetails.IsNonRetriable), out var n) && n.ValueKind == JsonValueKind.True,
            e.TryGetProperty("InnerFailure", out var inner) ? FromStored(inner) : null);

    internal static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}

/// <summary>One history event: its kind (DurableTask.Core's <see cref="EventType"/> name), sequence id and time, and the
/// fields that kind has.</summary>
public sealed record RecordedEvent(
    string Type,
    int EventId,
    DateTime Timestamp,
    string? Name = null,
    string? Version = null,
    string? Input = null,
    string? Result = null,
    int? TaskScheduledId = null,
    int? TimerId = null,
    DateTime? FireAt = null,
    string? Status = null,
    string? Reason = null,
    string? Details = null,
    RecordedFailure? Failure = null,
    string? ExecutionId = null)
{
    /// <summary>Reads one event of the JSON DurableTask.AzureStorage returns for an instance's history
    /// (<c>GetOrchestrationHistoryAsync</c>: Newtonsoft's default form, enums as numbers). Throws on a kind this
    /// workflow never records, so a fixture never silently drops a step.</summary>
    public static RecordedEvent FromStored(JsonElement e)
    {
        var type = (EventType)e.GetProperty("EventType").GetInt32();
        var id = e.TryGetProperty(nameof(HistoryEvent.EventId), out var i) ? i.GetInt32() : -1;
        var at = Time(e, "Timestamp") ?? throw new InvalidDataException("An event without a timestamp: " + e);
        string? Text(string name) => RecordedFailure.Text(e, name);
        int? Number(string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : null;
        return type switch
        {
            EventType.ExecutionStarted => new(type.ToString(), id, at, Text("Name"), Text("Version") ?? "", Text("Input"),
                ExecutionId: e.TryGetProperty("OrchestrationInstance", out var oi) ? RecordedFailure.Text(oi, "ExecutionId") : null),
            EventType.OrchestratorStarted or EventType.OrchestratorCompleted => new(type.ToString(), id, at),
            EventType.TaskScheduled => new(type.ToString(), id, at, Text("Name"), Text("Version"), Text("Input")),
            EventType.TaskCompleted => new(type.ToString(), id, at, Result: Text("Result"), TaskScheduledId: Number("TaskScheduledId")),
            EventType.TaskFailed => new(type.ToString(), id, at, TaskScheduledId: Number("TaskScheduledId"), Reason: Text("Reason"), Details: Text("Details"),
                Failure: e.TryGetProperty("FailureDetails", out var f) ? RecordedFailure.FromStored(f) : null),
            EventType.TimerCreated => new(type.ToString(), id, at, FireAt: Time(e, "FireAt")),
            EventType.TimerFired => new(type.ToString(), id, at, TimerId: Number("TimerId"), FireAt: Time(e, "FireAt")),
            EventType.EventRaised => new(type.ToString(), id, at, Text("Name"), Input: Text("Input")),
            EventType.ExecutionTerminated => new(type.ToString(), id, at, Input: Text("Input")),
            EventType.ExecutionCompleted or EventType.ContinueAsNew => new(type.ToString(), id, at, Result: Text("Result"),
                Status: e.TryGetProperty("OrchestrationStatus", out var s) ? ((OrchestrationStatus)s.GetInt32()).ToString() : null,
                Failure: e.TryGetProperty("FailureDetails", out var cf) ? RecordedFailure.FromStored(cf) : null),
            _ => throw new NotSupportedException($"History event {type} is not one the approval workflows record; teach {nameof(RecordedEvent)} its fields."),
        };
    }

    static DateTime? Time(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
            ? DateTime.Parse(v.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal)
            : null;

    /// <summary>The event as DurableTask.Core has it, for the executor to replay.</summary>
    public HistoryEvent ToCore(string instanceId)
    {
        HistoryEvent core = Enum.Parse<EventType>(Type) switch
        {
            EventType.ExecutionStarted => new ExecutionStartedEvent(EventId, Input)
            {
                Name = Name,
                Version = Version ?? "",
                OrchestrationInstance = new OrchestrationInstance { InstanceId = instanceId, ExecutionId = ExecutionId ?? "replay" },
            },
            EventType.OrchestratorStarted => new OrchestratorStartedEvent(EventId),
            EventType.OrchestratorCompleted => new OrchestratorCompletedEvent(EventId),
            EventType.TaskScheduled => new TaskScheduledEvent(EventId, Name!, Version, Input),
            EventType.TaskCompleted => new TaskCompletedEvent(EventId, TaskScheduledId!.Value, Result),
            EventType.TaskFailed => new TaskFailedEvent(EventId, TaskScheduledId!.Value, Reason, Details, Failure?.ToCore()),
            EventType.TimerCreated => new TimerCreatedEvent(EventId, FireAt!.Value),
            EventType.TimerFired => new TimerFiredEvent(EventId, FireAt!.Value) { TimerId = TimerId!.Value },
            EventType.EventRaised => new EventRaisedEvent(EventId, Input) { Name = Name },
            EventType.ExecutionTerminated => new ExecutionTerminatedEvent(EventId, Input),
            EventType.ExecutionCompleted => new ExecutionCompletedEvent(EventId, Result, Enum.Parse<OrchestrationStatus>(Status!), Failure?.ToCore()),
            EventType.ContinueAsNew => new ContinueAsNewEvent(EventId, Result),
            var other => throw new NotSupportedException($"History event {other} is not one the approval workflows record."),
        };
        core.Timestamp = Timestamp;
        return core;
    }
}
