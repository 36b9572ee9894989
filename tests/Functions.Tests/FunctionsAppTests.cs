using System.Net;
using System.Text;
using System.Text.Json;
using Approvals.Core.Actions;
using Approvals.Core.Http;
using Approvals.Core.Indent;
using Approvals.Core.Tests.Support;
using Approvals.Core.Workflow;
using Approvals.Functions.Http;
using Approvals.Functions.Workflow;
using Approvals.Core.Identity;
using Approvals.Local.Engine;
using Approvals.Local.Identity;
using Approvals.Local.Hosting;
using Azure.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Moq;

namespace Approvals.Functions.Tests;

/// <summary>The Functions app's own code, run: its service container (<see cref="FunctionsServiceCollectionExtensions"/>)
/// with only Azure's endpoints stood in — Key Vault over loopback HTTPS, Graph as the local Microsoft Graph, Indent as the local
/// emulator — and its <c>[Function]</c> wrappers, the orchestrator and activities registered on the embedded engine
/// under their Function names. What the Functions host itself does (binding conversion, keys) stays with the
/// functions.metadata tests.</summary>
public sealed class FunctionsAppTests
{
    const string Token = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJmdW5jdGlvbnNAYWNtZS50ZXN0In0.ZnVuY3Rpb25zLXRva2Vu";
    const string WebhookSecret = "whsec_functions_app_test";

    [Fact]
    public async Task StartPasswordReset_ThroughTheFunctionWrappers_CompletesAReset_AndEveryHttpFunctionAnswers()
    {
        // Indent: the local host's emulator (its own API and engine are not used here).
        var data = Directory.CreateTempSubdirectory("functions-app-").FullName;
        await using var indent = await LocalHost.StartAsync(new LocalHostOptions
        {
            Port = 0,
            DataDirectory = data,
            ConfigureLogging = b => b.ClearProviders(),
            Configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                [IndentOptions.TokenSetting] = Token,
                ["INDENT_WEBHOOK_SECRET"] = WebhookSecret,
                [IndentOptions.SpaceSetting] = "acme",
            }).Build(),
        });
        await using var vault = await FakeKeyVault.StartAsync();
        vault.Seed("indent-api-token", Token);
        vault.Seed("indent-webhook-secret", WebhookSecret);
        vault.Seed("approvals-seal-key", "functions-app-seal-key");
        // Graph: the local host's Microsoft Graph (its people and their log), with a token its issuer mints for the app.
        var graph = indent.Services.GetRequiredService<Local.Graph.GraphEmulator>();

        // The Functions app's container, as Program.cs builds it.
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [IndentOptions.SpaceSetting] = "acme",
            [IndentOptions.BaseUrlSetting] = indent.IndentApi.ToString(),
            ["KEY_VAULT_URI"] = vault.VaultUri.ToString(),
            ["APPROVALS_POLL_INITIAL_SECONDS"] = "1",
            ["APPROVALS_POLL_MAX_SECONDS"] = "1",
            // The access ledger's table beside the task hub (Azurite's account; nothing here writes to it).
            ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
            ["TASKHUB_NAME"] = "functionsapp",
            [ReconcileOptions.ScheduleSetting] = ReconcileOptions.DefaultSchedule,
            // Callers' tokens: the local host's issuer stands in for Entra ID (its OIDC metadata and JWKS, over loopback).
            [AuthOptions.AuthoritySetting] = indent.BaseAddress.ToString(),
            [AuthOptions.AudienceSetting] = LocalIssuer.Audience,
            [AuthOptions.ClientsSetting] = LocalIssuer.ClientId,
            ["GRAPH_BASE_URL"] = Local.Graph.GraphEndpoints.BaseUrl(indent.BaseAddress).ToString(),
        });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(vault.Client());                                          // Key Vault, stood in
        builder.Services.AddKeyedSingleton(KeyVaultCredentialStore.ClientKey, vault.Client());
        builder.Services.AddSingleton(indent.Services.GetRequiredService<TokenCredential>());     // Entra, stood in by the local issuer
        builder.Services.AddApprovalsFunctions(builder.Configuration);

        // The Functions host's part: the orchestrator and activities under their [Function] names, on the embedded engine.
        var engine = new DurableEngine(new EngineOptions(), Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
        await engine.StartAsync(CancellationToken.None);
        await using var engineLifetime = engine;
        builder.Services.AddDurableTaskClient(client => client.UseGrpc(engine.Channel));
        builder.Services.AddDurableTaskWorker(worker =>
        {
            worker.UseGrpc(engine.Channel);
            worker.AddTasks(tasks =>
            {
                tasks.AddOrchestratorFunc<ApprovalInput, ApprovalResult>(nameof(ApprovalOrchestrator), (context, _) => WorkflowFunctions.Orchestrate(context));
                tasks.AddActivityFunc<CreatePetitionInput, PetitionRef>(nameof(CreatePetitionActivity), (context, input) => WorkflowFunctions.CreatePetition(input, context.InstanceId, functionContext!));
                tasks.AddActivityFunc<GetPetitionInput, PetitionSnapshot>(nameof(GetPetitionActivity), (context, input) => WorkflowFunctions.GetPetition(input, context.InstanceId, functionContext!));
                tasks.AddActivityFunc<ClosePetitionInput, bool>(nameof(ClosePetitionActivity), (context, input) => WorkflowFunctions.ClosePetition(input, context.InstanceId, functionContext!));
                tasks.AddActivityFunc<ResetPasswordInput, PasswordResetOutcome>(nameof(ResetPasswordActivity), (context, input) => WorkflowFunctions.ResetPassword(input, context.InstanceId, functionContext!));
                tasks.AddActivityFunc<VerifyAndResetInput, VerifiedReset>(nameof(VerifyAndResetActivity), (context, input) => WorkflowFunctions.VerifyAndReset(input, context.InstanceId, functionContext!));
                tasks.AddOrchestratorFunc<ApprovalInput, ApprovalResult>(nameof(ActionOrchestrator), (context, _) => WorkflowFunctions.OrchestrateAction(context));
                tasks.AddActivityFunc<VerifyAndActInput, VerifiedAction>(nameof(VerifyAndActActivity), (context, input) => WorkflowFunctions.VerifyAndAct(input, context.InstanceId, functionContext!));
                tasks.AddActivityFunc<RunActionInput, Core.Actions.ActionOutcome>(nameof(RunActionActivity), (context, input) => WorkflowFunctions.RunAction(input, context.InstanceId, functionContext!));
                tasks.AddOrchestratorFunc<CredentialRevealInput, CredentialRevealResult>(nameof(CredentialRevealOrchestrator), (context, _) => WorkflowFunctions.RevealCredential(context));
                tasks.AddActivityFunc<string, bool>(nameof(DestroyCredentialActivity), (context, input) => WorkflowFunctions.DestroyCredential(input, context.InstanceId, functionContext!));
            });
        });
        using var app = builder.Build();
        var context = new Mock<FunctionContext>();
        context.SetupGet(c => c.InstanceServices).Returns(app.Services);
        functionContext = context.Object;
        await app.StartAsync();

        var client = app.Services.GetRequiredService<DurableTaskClient>();
        var functions = ActivatorUtilities.CreateInstance<ApiFunctions>(app.Services);

        bearer = indent.MintToken("alice@local"); // a person of the (local) directory
        var (unauthenticated, _) = await RunAsync(app.Services, r => functions.Start(r, client), "POST", """{"userId":"123","reason":"to recover account"}""", token: null);
        Assert.Equal(401, unauthenticated);
        var (startStatus, startBody) = await RunAsync(app.Services, r => functions.Start(r, client), "POST", """{"userId":"123","reason":"to recover account"}""");
        Assert.True(startStatus == 202, startBody);
        var id = JsonDocument.Parse(startBody).RootElement.GetProperty("id").GetString()!;

        var petition = await EventuallyAsync(async () => (await client.GetInstanceAsync(id, getInputsAndOutputs: true))?.ReadCustomStatusAs<ApprovalProgressStatus>()?.Petition);
        indent.Services.GetRequiredService<Local.Emulator.IndentEmulator>().Claim(petition!, new IndentEvent { EventType = IndentEventTypes.Approve }, "bob@local");
        var done = await client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);

        Assert.Equal(ApprovalStatuses.Completed, done.ReadOutputAs<ApprovalResult>()!.Status);
        var patch = Assert.Single(graph.Requests, r => r.Method == "PATCH");
        Assert.Equal(Local.Graph.GraphEndpoints.ApiPrefix + "/users/123", patch.Path);
        Assert.Equal(204, patch.Status);
        Assert.Equal(1, Local.Actions.FileUserDirectory.Read(data)["123"].Resets); // the directory's own log
        Assert.Single(vault.Secrets[PasswordResetService.CredentialName(id)]);

        var (statusCode, statusBody) = await RunAsync(app.Services, r => functions.Status(r, id, client), "GET");
        var (historyCode, historyBody) = await RunAsync(app.Services, r => functions.History(r, id, client), "GET");
        var (cancelCode, _) = await RunAsync(app.Services, r => functions.Cancel(r, id, client), "POST");
        var storedPassword = vault.Secrets[PasswordResetService.CredentialName(id)][0].Value;
        var (revealCode, revealBody) = await RunAsync(app.Services, r => functions.Credential(r, id, client), "POST");
        var (againCode, _) = await RunAsync(app.Services, r => functions.Credential(r, id, client), "POST");
        await client.WaitForInstanceCompletionAsync(CredentialRevealOrchestrator.InstanceIdFor(id), new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
        var (healthCode, _) = await RunAsync(app.Services, functions.Health, "GET");
        var (webhookCode, _) = await RunAsync(app.Services, r => functions.Webhook(r, client), "POST", """{"events":[]}""");
        await app.StopAsync();

        Assert.Equal(200, statusCode);
        Assert.Equal("completed", JsonDocument.Parse(statusBody).RootElement.GetProperty("status").GetString());
        Assert.Equal(200, historyCode);
        Assert.Contains("access/request", historyBody, StringComparison.Ordinal);
        Assert.Equal(409, cancelCode);
        Assert.Equal(200, revealCode);
        Assert.Equal(storedPassword, JsonDocument.Parse(revealBody).RootElement.GetProperty("password").GetString());
        Assert.Equal(410, againCode);
        Assert.Contains(PasswordResetService.CredentialName(id), vault.Purged); // destroyed by the reveal's own instance
        Assert.Equal(200, healthCode);
        Assert.Equal(401, webhookCode); // unsigned
        Directory.Delete(data, recursive: true);
    }

    FunctionContext? functionContext;
    string? bearer;

    async Task<(int Status, string Body)> RunAsync(IServiceProvider services, Func<HttpRequest, Task<IActionResult>> function, string method, string? body = null, string? token = "")
    {
        // One scope per request, as the worker gives each invocation (authentication handlers are per request).
        await using var scope = services.CreateAsyncScope();
        var http = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        if ((token == "" ? bearer : token) is { } given)
        {
            http.Request.Headers.Authorization = "Bearer " + given;
        }

        http.Request.Method = method;
        http.Request.Scheme = "https";
        http.Request.Host = new HostString("func-approvals.azurewebsites.net");
        if (body is not null)
        {
            var bytes = Encoding.UTF8.GetBytes(body);
            http.Request.ContentType = "application/json";
            http.Request.ContentLength = bytes.Length;
            http.Request.Body = new MemoryStream(bytes);
        }

        http.Response.Body = new MemoryStream();
        var result = await function(http.Request);
        await result.ExecuteResultAsync(new ActionContext(http, new RouteData(), new ActionDescriptor()));
        http.Response.Body.Position = 0;
        return (http.Response.StatusCode, await new StreamReader(http.Response.Body).ReadToEndAsync());
    }

    static async Task<T> EventuallyAsync<T>(Func<Task<T?>> read)
    {
        var until = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            if (await read() is { } value)
            {
                return value;
            }

            Assert.True(DateTime.UtcNow < until, "timed out waiting");
            await Task.Delay(50);
        }
    }
}
