using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Approvals.Core.Http;
using Approvals.Core.Indent;
using Approvals.Core.Workflow;
using Approvals.Local.Graph;
using Approvals.Local.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Approvals.Local.Tests.Workflow;

/// <summary>One host for the Temporary Access Pass cases: each is its own user and approval.</summary>
public sealed class TapHost : IAsyncLifetime
{
    public TestHost Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = await TestHost.StartAsync();

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>The third action, written only on the contract, end to end on the embedded engine against the local
/// Microsoft Graph: passes are counted from the local Graph's own request log and its store of passes.</summary>
public sealed class TemporaryAccessPassTests(TapHost fixture) : IClassFixture<TapHost>
{
    const string Route = "api/actions/temporary-access-pass";
    const string Carol = "carol@local";

    static string User() => "tap" + Guid.NewGuid().ToString("N")[..10];

    GraphEmulator Graph => fixture.Host.Host.Services.GetRequiredService<GraphEmulator>();

    int PassesCreated(string user) => Graph.Requests.Count(r => r.Method == "POST" && r.Path.EndsWith($"/users/{user}/authentication/temporaryAccessPassMethods", StringComparison.Ordinal) && r.Status == 201);

    int PassCalls(string user) => Graph.Requests.Count(r => r.Path.Contains($"/users/{user}/authentication/", StringComparison.Ordinal));

    async Task<HttpResponseMessage> PostAsync(object body, HttpClient? http = null) =>
        await (http ?? fixture.Host.Http).PostAsync(Route, JsonContent.Create(body));

    async Task<string> StartAsync(string user, HttpClient? http = null, int lifetime = 60)
    {
        fixture.Host.Know(user);
        using var response = await PostAsync(new { userId = user, reason = "locked out, phone lost", lifetimeMinutes = lifetime }, http);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("id").GetString()!;
    }

    [Fact]
    public async Task Approved_ByAnotherPerson_OnePassInGraph_RevealedOnceThen410_NeverLogged()
    {
        var host = fixture.Host;
        var user = User();
        var id = await StartAsync(user);
        var waiting = await host.WaitForPetitionAsync(id);
        Assert.Equal($"Temporary Access Pass (user:{user})", Assert.Single((await host.Indent.GetPetitionAsync(waiting.Petition!)).Resources!).DisplayName);

        host.ApproveAsAPerson(waiting.Petition!);
        var done = await host.WaitForStatusAsync(id, ApprovalStatuses.Completed, 30_000);

        Assert.Equal(1, PassesCreated(user));
        Assert.Equal("temporary-access-pass", done.Kind);
        Assert.Equal(user, done.Target?.Id);
        Assert.Equal(CredentialStates.Available, done.Credential?.State);
        using var first = await host.Http.PostAsync($"api/approvals/{id}/credential", null);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var revealed = await first.Content.ReadFromJsonAsync(ApiJsonContext.Default.CredentialResponse);
        var pass = Graph.PassOf(user)!;
        Assert.Equal(pass.Value, revealed!.Password);
        Assert.Equal("temporary-access-pass", revealed.Kind);
        Assert.True(pass.IsUsableOnce);
        Assert.Equal(60, pass.LifetimeInMinutes);

        using var second = await host.Http.PostAsync($"api/approvals/{id}/credential", null);
        Assert.Equal(HttpStatusCode.Gone, second.StatusCode);
        var history = await host.Http.GetStringAsync($"api/approvals/{id}/history");
        Assert.DoesNotContain(pass.Value, history, StringComparison.Ordinal);
        Assert.DoesNotContain(host.Logs.Lines, l => l.Contains(pass.Value, StringComparison.Ordinal));
        Assert.Equal(1, PassesCreated(user));
    }

    [Fact]
    public async Task Approved_ByTheRequester_Denied_NoPass()
    {
        var host = fixture.Host;
        var user = User();
        using var carol = host.As(Carol);
        var id = await StartAsync(user, carol);
        var petition = (await host.WaitForPetitionAsync(id)).Petition!;

        host.Emulator.Claim(petition, new IndentEvent { EventType = IndentEventTypes.Approve }, new Resource { Kind = "user", Email = "cc@local" });
        var done = await host.WaitForAsync(id, v => ApprovalStatuses.IsFinal(v.Status), 30_000);

        Assert.Equal(ApprovalStatuses.Denied, done.Status);
        Assert.Contains("four eyes: approved by the requester", done.Detail, StringComparison.Ordinal);
        Assert.Equal(0, PassesCreated(user));
        Assert.Null(Graph.PassOf(user));
    }

    [Fact]
    public async Task Approved_ByTheTarget_Denied_NoPass()
    {
        var host = fixture.Host;
        var id = await StartAsync("carol");
        var petition = (await host.WaitForPetitionAsync(id)).Petition!;
        var before = PassesCreated("carol");

        host.Emulator.Claim(petition, new IndentEvent { EventType = IndentEventTypes.Approve }, new Resource { Kind = "user", Email = "carol.chen@local" });
        var done = await host.WaitForAsync(id, v => ApprovalStatuses.IsFinal(v.Status), 30_000);

        Assert.Equal(ApprovalStatuses.Denied, done.Status);
        Assert.Contains("four eyes: approved by the user", done.Detail, StringComparison.Ordinal);
        Assert.Equal(before, PassesCreated("carol"));
    }

    public static TheoryData<string, string> BadBodies => new()
    {
        { """{"userId":"USER","reason":"locked out","lifetimeMinutes":5}""", "lifetimeMinutes" },
        { """{"userId":"USER","reason":"locked out","lifetimeMinutes":"sixty"}""", "lifetimeMinutes" },
        { """{"userId":"USER","reason":"locked out","colour":"red"}""", "colour" },
        { """{"userId":"USER"}""", "reason" },
        { """{"userId":"bad user","reason":"locked out"}""", "userId" },
        { """{"userId":"USER","reason":"locked out","deadlineSeconds":1}""", "deadlineSeconds" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task BadInput_400NamingTheField_NothingAsked(string body, string field)
    {
        var user = User();
        fixture.Host.Know(user);
        using var response = await fixture.Host.Http.PostAsync(Route, new StringContent(body.Replace("USER", user, StringComparison.Ordinal), System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out _), errors.ToString());
        Assert.Equal(0, PassCalls(user));
    }

    [Fact]
    public async Task UnknownUser_404_PassPresent_409_NothingStarted()
    {
        using var unknown = await PostAsync(new { userId = "nobody-" + User(), reason = "locked out" });
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);

        var user = User();
        fixture.Host.Know(user);
        Graph.CreatePass(user, new JsonObject { ["lifetimeInMinutes"] = 60 });
        var held = Graph.PassOf(user);
        using var present = await PostAsync(new { userId = user, reason = "locked out" });

        Assert.Equal(HttpStatusCode.Conflict, present.StatusCode);
        Assert.Equal(held, Graph.PassOf(user));
        Assert.Equal(0, PassesCreated(user));
    }

    [Fact]
    public async Task UnknownAction_404()
    {
        using var response = await fixture.Host.Http.PostAsync("api/actions/launch-missiles", JsonContent.Create(new { userId = "x", reason = "y" }));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task LifetimeOutsideThePolicy_GraphRefuses_FailedWithItsReason_NoPass()
    {
        var host = fixture.Host;
        var user = User();
        var id = await StartAsync(user, lifetime: 600); // the default policy allows 60 to 480 minutes
        host.ApproveAsAPerson((await host.WaitForPetitionAsync(id)).Petition!);
        var done = await host.WaitForAsync(id, v => ApprovalStatuses.IsFinal(v.Status), 30_000);

        Assert.Equal(ApprovalStatuses.Failed, done.Status);
        Assert.Contains("outside the policy", done.Detail, StringComparison.Ordinal);
        Assert.Null(Graph.PassOf(user));
        Assert.Equal(1, Graph.Requests.Count(r => r.Method == "POST" && r.Path.Contains($"/users/{user}/authentication/", StringComparison.Ordinal) && r.Status == 400));
    }
}
