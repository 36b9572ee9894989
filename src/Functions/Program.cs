using Approvals.Core;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.Services
    .AddApprovalsCore(builder.Configuration)
    .AddEntraPasswordReset(builder.Configuration);
builder.Build().Run();
