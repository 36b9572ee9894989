using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Approvals.Core.Http;
using Approvals.Core.Indent;
using Approvals.Core.Workflow;
using Approvals.Local.Actions;
using Approvals.Local.Emulator;
using Approvals.Local.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Approvals.Local.Tests.Workflow;

/// <summary>Time-boxed access end to end on the embedded engine, every membership change counted from the local groups'
/// own log (<c>groups.jsonl</c>), never from the workflow's status.</summary>
public sealed class AccessTests
{
    const string Alice = "alice@local";
    const string AliceId = "alice"; // her object id in the local directory (the member id Graph records)
    const string Group = FileGroups.ProductionGroup;

    static Task<TestHost> StartHostAsync() =>
        TestHost.StartAsync(new() { [AccessOptions.MinSecondsSetting] = "1" });

    static Task<string> RequestAsync(TestHost host, HttpClient caller, int seconds, string resource = "Production", string? key = null) =>
        host.StartAccessAsync(seconds, resource, caller, key);

    static async Task<HttpResponseMessage> PostAsync(HttpClient caller, string json, string? key = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/access-requests") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (key is not null)
        {
            request.Headers.Add(ApprovalsApi.IdempotencyKeyHeader, key);
        }

        return await caller.SendAsync(request);
    }

    /// <summary>The changes to <see cref="Group"/> for <paramref name="member"/>, in order, from the log.</summary>
    static List<LocalMembershipChange> Changes(TestHost host, string member = AliceId) =>
        FileGroups.Log(host.DataDirectory).Where(c => c.Group == Group && c.Member == member).ToList();

    static FileGroups Groups(TestHost host) => host.Host.Services.GetRequiredService<FileGroups>();

    static IndentEvent Approve(string? duration = null) => new()
    {
        EventType = IndentEventTypes.Approve,
        Meta = duration is null ? null : new ObjectMeta { Labels = new Dictionary<string, string> { [IndentLabels.Duration] = duration } },
    };

    [Fact]
    public async Task Granted_MemberUntilExpiry_ThenRemoved_OnceEach()
    {
        await using var host = await StartHostAsync();
        using var alice = host.As(Alice);
        var id = await RequestAsync(host, alice, seconds: 2);
        var petition = (await host.WaitForPetitionAsync(id)).Petition!;

        host.Emulator.Claim(petition, Approve(), "bob@local");
        var active = await host.WaitForStatusAsync(id, ApprovalStatuses.Active);
        var memberWhileActive = Groups(host).Members(Group).Contains(AliceId);
        var done = await host.WaitForAsync(id, v => ApprovalStatuses.IsFinal(v.Status));

        Assert.True(memberWhileActive);
        Assert.Equal("access", active.Kind);
        Assert.NotNull(active.Access?.ActiveUntil);
        Assert.Equal(ApprovalStatuses.Completed, done.Status);
        Assert.Contains("the granted time is over", done.Detail, StringComparison.Ordinal);
        var changes = Changes(host);
        Assert.Equal([FileGroups.Added, FileGroups.Removed], changes.Select(c => c.Change));
        Assert.True(changes[1].At >= new DateTimeOffset(done.Access!.ActiveUntil!.Value, TimeSpan.Zero).AddMilliseconds(-50), "removed before the granted time ended");
        Assert.Equal(2, (done.Access.ActiveUntil.Value - done.Access.GrantedAt!.Value).TotalSeconds);
        Assert.DoesNotContain(AliceId, Groups(host).Members(Group));
    }

    [Fact]
    public async Task ApproversShorterDuration_Wins()
    {
        await using var host = await StartHostAsync();
        using var alice = host.As(Alice);
        var id = await RequestAsync(host, alice, seconds: 3600);
        var petition = (await host.WaitForPetitionAsync(id)).Petition!;

        host.Emulator.Claim(petition, Approve("2s"), "bob@local");
        var done = await host.WaitForAsync(id, v => ApprovalStatuses.IsFinal(v.Status));

        Assert.Equal(ApprovalStatuses.Completed, done.Status);
        Assert.Equal(2, (done.Access!.ActiveUntil!.Value - done.Access.GrantedAt!.Value).TotalSeconds);
        Assert.Equal([FileGroups.Added, FileGroups.Removed], Changes(host).Select(c => c.Change));
    }

    [Fact]
    public async Task RevokedInIndent_RemovedAtOnce()
    {
        await using var host = await StartHostAsync();
        using var alice = host.As(Alice);
        var id = await RequestAsync(host, alice, seconds: 3600);
        var petition = (await host.WaitForPetitionAsync(id)).Petition!;
        host.Emulator.Claim(petition, Approve(), "bob@local");
        await host.WaitForStatusAsync(id, ApprovalStatuses.Active);

        var revokedAt = DateTimeOffset.UtcNow;
        host.Emulator.Claim(petition, new IndentEvent { EventType = IndentEventTypes.Revoke, Reason = "incident over" }, "bob@local");
        var done = await host.WaitForAsync(id, v => ApprovalStatuses.IsFinal(v.Status), timeoutMs: 10_000);

        Assert.Equal(ApprovalStatuses.Completed, done.Status);
        Assert.Contains("revoked in Indent", done.Detail, StringComparison.Ordinal);
        var changes = Changes(host);
        Assert.Equal([FileGroups.Added, FileGroups.Removed], changes.Select(c => c.Change));
        Assert.True(changes[1].At - revokedAt < TimeSpan.FromSeconds(5), $"removed {changes[1].At - revokedAt} after the revoke");
    }

    [Fact]
    public async Task Denied_NeverAMember()
    {
        await using var host = await StartHostAsync();
        using var alice = host.As(Alice);
        var id = await RequestAsync(host, alice, seconds: 60);
        var petition = (await host.WaitForPetitionAsync(id)).Petition!;

        host.Emulator.Claim(petition, new IndentEvent { EventType = IndentEventTypes.Deny }, "bob@local");
        var done = await host.WaitForAsync(id, v => ApprovalStatuses.IsFinal(v.Status));

        Assert.Equal(ApprovalStatuses.Denied, done.Status);
        Assert.Empty(Changes(host));
    }

    [Fact]
    public async Task SelfApproval_NeverAMember_GrantRevoked()
    {
        await using var host = await StartHostAsync();
        using var alice = host.As(Alice);
        var id = await RequestAsync(host, alice, seconds: 60);
        var petition = (await host.WaitForPetitionAsync(id)).Petition!;

        host.Emulator.Claim(petition, Approve(), "ALICE@local");
        var done = await host.WaitForAsync(id, v => ApprovalStatuses.IsFinal(v.Status));

        Assert.Equal(ApprovalStatuses.Denied, done.Status);
        Assert.Contains("four eyes: approved by the requester", done.Detail, StringComparison.Ordinal);
        Assert.Empty(Changes(host));
        Assert.Equal(IndentPhases.Revoked, (await host.Indent.GetPetitionAsync(petition)).Phase);
    }

    [Fact]
    public async Task CancelledWhileActive_Removed_HistoryTellsTheStory()
    {
        await using var host = await StartHostAsync();
        using var alice = host.As(Alice);
        var id = await RequestAsync(host, alice, seconds: 3600);
        var petition = (await host.WaitForPetitionAsync(id)).Petition!;
        host.Emulator.Claim(petition, Approve(), "bob@local");
        await host.WaitForStatusAsync(id, ApprovalStatuses.Active);

        using var cancel = await alice.PostAsJsonAsync($"api/approvals/{id}/cancel", new CancelBody { Reason = "done debugging" });
        var done = await host.WaitForAsync(id, v => ApprovalStatuses.IsFinal(v.Status));
        var history = await host.Http.GetFromJsonAsync($"api/approvals/{id}/history", ApiJsonContext.Default.HistoryView);

        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        Assert.Equal(ApprovalStatuses.Completed, done.Status);
        Assert.Contains("ended early by alice@local: done debugging", done.Detail, StringComparison.Ordinal);
        Assert.Equal([FileGroups.Added, FileGroups.Removed], Changes(host).Select(c => c.Change));
        Assert.Contains(history!.Entries, e => e.Type == "access/granted" && e.Name == Alice);
        Assert.Contains(history.Entries, e => e.Type == "access/ended" && e.Detail!.Contains("ended early", StringComparison.Ordinal));
        Assert.Contains(history.Entries, e => e.Type == "requested" && e.Detail!.Contains("access to Production", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Resources_ListsOnlyWhatThisDeploymentCanGrant()
    {
        await using var host = await StartHostAsync();
        using var alice = host.As(Alice);

        var view = await alice.GetFromJsonAsync("api/resources", ApiJsonContext.Default.ResourcesView);

        // The emulator lists several requestable resources; only Production is mapped to a group here.
        Assert.Equal(["Production"], view!.Resources.Select(r => r.DisplayName));
        Assert.Equal(IndentEmulator.ProductionResource, view.Resources[0].Id);
        Assert.Equal(1, view.MinDurationSeconds);
    }

    [Theory]
    [InlineData("""{"resource":"Production","reason":"x","durationSeconds":0}""", "durationSeconds")]
    [InlineData("""{"resource":"Production","reason":"x","durationSeconds":999999}""", "durationSeconds")]
    [InlineData("""{"resource":"","reason":"x"}""", "resource")]
    [InlineData("""{"resource":"Production"}""", "reason")]
    [InlineData("""{"resource":"Production","reason":"x","durationSeconds":"60"}""", null)]
    [InlineData("""{"resource":"Production","reason":"x","admin":true}""", null)]
    [InlineData("""not json""", null)]
    public async Task Request_BadInput_400ProblemJson_NothingStarted(string json, string? field)
    {
        await using var host = await StartHostAsync();

        using var response = await PostAsync(host.Http, json);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        if (field is not null)
        {
            Assert.True(JsonDocument.Parse(body).RootElement.GetProperty("errors").TryGetProperty(field, out _), body);
        }

        Assert.Empty(host.Emulator.All());
        Assert.Empty(await Instances(host));
    }

    [Theory]
    [InlineData("Staging")]
    [InlineData("prod-readonly")] // requestable in Indent, but mapped to no group here
    public async Task Request_UnknownOrUnmappedResource_404_NothingStarted(string resource)
    {
        await using var host = await StartHostAsync();

        using var response = await PostAsync(host.Http, $$"""{"resource":"{{resource}}","reason":"x","durationSeconds":60}""");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("Production (production)", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(host.Emulator.All());
        Assert.Empty(await Instances(host));
    }

    [Fact]
    public async Task Request_ByIdOrName_SamePetitionResource_KeyReusedForAnotherResource409()
    {
        await using var host = await StartHostAsync();
        using var alice = host.As(Alice);

        var byId = await RequestAsync(host, alice, 60, resource: "production", key: "k1");
        var again = await RequestAsync(host, alice, 60, resource: "production", key: "k1");
        using var reused = await PostAsync(alice, """{"resource":"PRODUCTION","reason":"to debug production","durationSeconds":120}""", "k1");
        var petition = await host.Indent.GetPetitionAsync((await host.WaitForPetitionAsync(byId)).Petition!);

        Assert.Equal(byId, again);
        Assert.Equal(HttpStatusCode.Conflict, reused.StatusCode);
        Assert.Equal(IndentEmulator.ProductionResource, Assert.Single(petition.Resources!).Id);
        Assert.Equal(Alice, petition.Petitioners![0].Email);
        Assert.Equal(60, petition.DefaultDuration?.Seconds);
    }

    static async Task<List<string>> Instances(TestHost host)
    {
        var instances = new List<string>();
        await foreach (var instance in host.Durable.GetAllInstancesAsync())
        {
            instances.Add(instance.InstanceId);
        }

        return instances;
    }
}
