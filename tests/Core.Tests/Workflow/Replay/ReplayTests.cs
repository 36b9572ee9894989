using Approvals.Core.Workflow;
using Microsoft.DurableTask;

namespace Approvals.Core.Tests.Workflow.Replay;

/// <summary>Histories recorded from real runs of every supported orchestration version (Fixtures/&lt;commit&gt;/, written by
/// <c>scripts/record-fixtures.sh</c>) replayed against today's orchestrators, as a deploy replays the instances waiting in
/// the task hub: at every point the stored history stood still, and to the end. A replay that takes another step than
/// the history recorded fails here, before it can fail a waiting approval in production.</summary>
public sealed class ReplayTests
{
    static string FixturesDirectory
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Approvals.sln")))
            {
                dir = dir.Parent;
            }

            return Path.Combine(dir?.FullName ?? throw new InvalidOperationException("Approvals.sln not found."), "tests", "Core.Tests", "Workflow", "Replay", "Fixtures");
        }
    }

    static IEnumerable<string> FixtureFiles() =>
        Directory.EnumerateFiles(FixturesDirectory, "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal);

    static ReplayFixture Load(string relativePath) => ReplayFixture.Read(Path.Combine(FixturesDirectory, relativePath));

    public static TheoryData<string> Fixtures => [.. FixtureFiles().Select(f => Path.GetRelativePath(FixturesDirectory, f))];

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Replay_RecordedHistory_TodaysOrchestratorTakesTheSameStepsAtEveryWaitingPoint(string fixture)
    {
        var recorded = Load(fixture);
        var points = recorded.WaitingPoints();
        Assert.NotEmpty(points);

        var failures = points
            .Select(p => (p.Count, p.Point, Verdict: HistoryReplayer.Replay(recorded, p.Count)))
            .Where(r => !r.Verdict.Matches)
            .Select(r => $"after {r.Count} events ({r.Point}): {r.Verdict.Problem}")
            .ToList();

        var steps = HistoryReplayer.ReplaySteps(recorded);
        if (!steps.Matches)
        {
            failures.Add("step by step: " + steps.Problem);
        }

        Assert.True(failures.Count == 0, $"{fixture} (version '{recorded.Version}', {recorded.Description}) does not replay:\n" + string.Join("\n", failures));
    }

    [Fact]
    public void Fixtures_EverySupportedVersion_HasResetAndAccessAtEachWaitingPoint_AndNoOther()
    {
        var all = FixtureFiles().Select(ReplayFixture.Read).ToList();
        foreach (var version in WorkflowVersions.Supported)
        {
            var mine = all.Where(f => f.Version == version).ToList();
            string[] PointsOf(string orchestrator) => [.. mine.Where(f => f.Orchestrator == orchestrator).SelectMany(f => f.WaitingPoints()).Select(p => p.Point).Distinct()];
            var label = $"version '{WorkflowVersions.Describe(version)}'";

            Assert.True(PointsOf(nameof(ApprovalOrchestrator)).Contains(ReplayFixture.AwaitingDecision), $"{label}: no reset fixture awaiting the decision");
            Assert.True(PointsOf(nameof(ApprovalOrchestrator)).Contains(ReplayFixture.BetweenGrantAndAction), $"{label}: no reset fixture between grant and action");
            Assert.True(PointsOf(nameof(AccessOrchestrator)).Contains(ReplayFixture.AccessActive), $"{label}: no access fixture while access is active");
            Assert.True(PointsOf(nameof(AccessOrchestrator)).Contains(ReplayFixture.BetweenGrantAndAction), $"{label}: no access fixture between grant and action");
            Assert.True(PointsOf(nameof(AccessOrchestrator)).Contains(ReplayFixture.AwaitingDecision), $"{label}: no access fixture awaiting the decision");
            Assert.True(mine.Any(f => f.Orchestrator == nameof(CredentialRevealOrchestrator)), $"{label}: no credential reveal fixture");
        }

        // A version dropped from Supported takes its fixtures with it (and its branch in the orchestrators).
        Assert.All(all, f => Assert.True(WorkflowVersions.IsSupported(f.Version), $"{f.Scenario} from {f.RecordedFrom} is version '{f.Version}', no longer supported"));
    }

    [Fact]
    public void Fixtures_Recorded_HoldNoSecretOnlyReferences()
    {
        // The recorder scanned for the run's own secrets; this keeps what is committed free of anything shaped like one.
        foreach (var file in FixtureFiles())
        {
            var text = File.ReadAllText(file);
            Assert.DoesNotContain("eyJ", text, StringComparison.Ordinal);        // a JWT (an Indent or bearer token)
            Assert.DoesNotContain("whsec_", text, StringComparison.Ordinal);     // a webhook secret
            Assert.DoesNotContain("\"password\"", text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("BEGIN ", text, StringComparison.Ordinal);     // a PEM key
        }
    }

    // The replayer itself must be able to fail: each case below takes a real recorded history and an orchestrator, or a
    // result, that parts from it.

    static ReplayFixture Reset() => Load(Path.Combine(FixtureFiles().Select(f => Path.GetRelativePath(FixturesDirectory, f)).First(f => f.EndsWith("reset-approved.json", StringComparison.Ordinal))));

    [Fact]
    public void Replay_OrchestratorReadsBeforeCreating_ReportsNondeterminism()
    {
        var verdict = HistoryReplayer.Replay(Reset(), orchestrator: new ReadsFirst());

        Assert.False(verdict.Matches);
        Assert.Contains("nondeterminism", verdict.Problem, StringComparison.Ordinal);
        Assert.Contains(nameof(CreatePetitionActivity), verdict.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Replay_OrchestratorAsksForAStepTheWaitingHistoryDoesNotHave_Reported()
    {
        var fixture = Reset();
        var creating = fixture.WaitingPoints()[0].Count; // the petition's create in flight

        var verdict = HistoryReplayer.Replay(fixture, creating, new CreatesAndStartsATimer());

        Assert.False(verdict.Matches);
        Assert.Contains("promised no further step", verdict.Problem, StringComparison.Ordinal);
        Assert.Contains(verdict.Steps, s => s.StartsWith("timer", StringComparison.Ordinal));
    }

    [Fact]
    public void Replay_HistoryEndedOtherwise_ReportsTheDifferentOutcome()
    {
        var fixture = Reset();
        var events = fixture.Events.Select(e => e.Type == "ExecutionCompleted" ? e with { Result = e.Result!.Replace("\"completed\"", "\"denied\"", StringComparison.Ordinal) } : e).ToList();

        var verdict = HistoryReplayer.Replay(fixture with { Events = events });

        Assert.False(verdict.Matches);
        Assert.Contains("\"denied\"", verdict.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void ReplaySteps_TwoTimersSwapped_ReportsTheDueTime_WhichTheRuntimeDoesNotCheck()
    {
        var fixture = Load(Path.Combine(FixtureFiles().Select(f => Path.GetRelativePath(FixturesDirectory, f)).First(f => f.EndsWith("access-timer.json", StringComparison.Ordinal))));
        // The grant's episode creates the end timer, then the first poll timer: swap their due times.
        var at = Enumerable.Range(0, fixture.Events.Count - 1).First(i => fixture.Events[i].Type == "TimerCreated" && fixture.Events[i + 1].Type == "TimerCreated");
        var (first, second) = (fixture.Events[at], fixture.Events[at + 1]);
        var swapped = fixture.Events.Select(e => e == first ? e with { FireAt = second.FireAt } : e == second ? e with { FireAt = first.FireAt } : e).ToList();

        Assert.True(HistoryReplayer.Replay(fixture with { Events = swapped }).Matches); // the runtime's own check lets it through
        var verdict = HistoryReplayer.ReplaySteps(fixture with { Events = swapped });

        Assert.False(verdict.Matches);
        Assert.Contains("another due time", verdict.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void ReplaySteps_OrchestratorReadsBeforeCreating_Reported()
    {
        var verdict = HistoryReplayer.ReplaySteps(Reset(), new ReadsFirst());

        Assert.False(verdict.Matches);
        Assert.Contains(nameof(CreatePetitionActivity), verdict.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Replay_VersionNewerThanThisBuild_NotRun()
    {
        var verdict = HistoryReplayer.Replay(Reset() with { Version = "99.0" });

        Assert.False(verdict.Matches);
        Assert.Contains("newer than this build", verdict.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Replay_OrchestratorOfTheSameSteps_Matches()
    {
        // The control for the cases above: the real orchestrator the history was recorded on, given explicitly, matches it.
        var reset = Reset();
        Assert.True(HistoryReplayer.Replay(reset, orchestrator: HistoryReplayer.Create(reset.Orchestrator)).Matches);
        Assert.True(HistoryReplayer.ReplaySteps(reset, HistoryReplayer.Create(reset.Orchestrator)).Matches);
    }

    // A failed add is in no recorded fixture (every recorded add succeeded), so these cut a real recorded access history
    // where its add was in flight and let the add fail, as Graph or the cancel's fence would have failed it: the step the
    // orchestrator takes next must be the one that version's build took (a deploy replays a removal already scheduled).

    /// <summary>The <paramref name="commit"/> access history cut where its add was in flight, then the add failing with
    /// <paramref name="errorType"/>.</summary>
    static ReplayFixture AddFailed(string commit, string errorType, string message)
    {
        var fixture = Load(Path.Combine(commit, "access-timer.json"));
        var events = fixture.Events.ToList();
        var add = events.Single(e => e.Type == "TaskScheduled" && e.Name == nameof(AddGroupMemberActivity));
        var episodeEnd = events.FindIndex(events.IndexOf(add), e => e.Type == "OrchestratorCompleted");
        var at = events[episodeEnd].Timestamp.AddSeconds(1);
        return fixture with
        {
            Events =
            [
                .. events.Take(episodeEnd + 1),
                new("OrchestratorStarted", -1, at),
                new("TaskFailed", -1, at, TaskScheduledId: add.EventId, Reason: message, Failure: new RecordedFailure(errorType, message)),
            ],
        };
    }

    static ReplayFixture AddRefusedOutright(string commit) =>
        AddFailed(commit, typeof(PermanentActivityFailureException).FullName!, "Graph refused: Request_BadRequest: Cannot Update a mail-enabled security groups and or distribution list.");

    const string Unversioned = "6f7c4c4f8eb0", VersionOne = "da2fe5a905f0";

    [Fact]
    public void Replay_UnversionedAccessAddRefusedOutright_RemovesAsItsBuildDid()
    {
        var fixture = AddRefusedOutright(Unversioned);
        Assert.Equal(WorkflowVersions.Unversioned, fixture.Version);

        var verdict = HistoryReplayer.Replay(fixture);

        Assert.DoesNotContain("nondeterminism", verdict.Problem ?? "", StringComparison.Ordinal);
        Assert.StartsWith("activity " + nameof(RemoveGroupMemberActivity), Assert.Single(verdict.Steps), StringComparison.Ordinal);
    }

    [Fact]
    public void Replay_VersionOneAccessAddRefusedOutright_EndsWithoutARemoval()
    {
        var fixture = AddRefusedOutright(VersionOne);
        Assert.Equal(WorkflowVersions.First, fixture.Version);

        var verdict = HistoryReplayer.Replay(fixture);

        Assert.Equal(["end: Completed"], verdict.Steps);
    }

    [Fact]
    public void Replay_UnversionedAccessAddFoundACancelFirst_ClosesTheGrantAndRemovesNothing()
    {
        // No unversioned build had the cancel's fence, but today's add activity answers an unversioned instance with it.
        var fixture = AddFailed(Unversioned, typeof(CancelledBeforeActionException).FullName!, "cancelled before the action");

        var verdict = HistoryReplayer.Replay(fixture);

        Assert.NotEmpty(verdict.Steps);
        Assert.DoesNotContain(verdict.Steps, s => s.Contains(nameof(RemoveGroupMemberActivity), StringComparison.Ordinal));
        Assert.DoesNotContain(verdict.Steps, s => s.StartsWith("end:", StringComparison.Ordinal)); // the petition is closed first
    }

    [Fact]
    public void Replay_UnversionedAccessAddFailedTransiently_RetriesAsRecorded()
    {
        // The control: a failure that may have left the add behind is retried by the activity policy (a timer), as recorded.
        var fixture = AddFailed(Unversioned, "System.Net.Http.HttpRequestException", "500 Internal Server Error");

        var verdict = HistoryReplayer.Replay(fixture);

        Assert.StartsWith("timer", Assert.Single(verdict.Steps), StringComparison.Ordinal);
    }

    /// <summary>Reads the petition before creating it: the first step differs from every recorded history.</summary>
    sealed class ReadsFirst : TaskOrchestrator<ApprovalInput, string>
    {
        public override async Task<string> RunAsync(TaskOrchestrationContext context, ApprovalInput input)
        {
            await context.CallActivityAsync<PetitionSnapshot>(nameof(GetPetitionActivity), new GetPetitionInput("x"));
            return "read";
        }
    }

    /// <summary>Creates the petition as recorded, and also starts a timer the history never had.</summary>
    sealed class CreatesAndStartsATimer : TaskOrchestrator<ApprovalInput, string>
    {
        public override async Task<string> RunAsync(TaskOrchestrationContext context, ApprovalInput input)
        {
            var create = context.CallActivityAsync<PetitionRef>(nameof(CreatePetitionActivity), new CreatePetitionInput(context.InstanceId, input.Action, input.UserId, input.Reason));
            var timer = context.CreateTimer(context.CurrentUtcDateTime.AddMinutes(1), CancellationToken.None);
            await Task.WhenAll(create, timer);
            return "created";
        }
    }
}
